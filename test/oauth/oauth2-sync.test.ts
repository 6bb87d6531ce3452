// OAuth2 logins against real servers: oidc-provider issues the tokens (a few seconds' life,
// the world's choice here), two Dovecots check them by introspection. host1 is reached with
// a user's refresh token, host2 with app-only client credentials (Microsoft 365's way);
// tokens expire during the sync and host2 ends the session, as Exchange Online does.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import type { ImapAccount, OAuth2Client, SyncRequest, SyncResult } from '../../activities/imap/types';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { freePort } from '../../scripts/servers/process';
import { readMailbox } from '../imap/corpus';
import { seedBulk, startThrottle, type Throttle } from '../faults/world';
import { startAuthServer, type AuthServer } from './auth-server';

const TTL = 3; // seconds: every access token expires during the sync below
const ALICE = 'alice@example.test';
const MESSAGES = 300;
let as: AuthServer;
let host1: DovecotServer;
let host2: DovecotServer;
let throttle: Throttle;
const dirs: string[] = [];
const passwords: Record<string, string> = {};
let refreshToken: string;

/** An env: reference holding `value`. */
function ref(value: string): string {
  const name = `MAILSHIFT_TEST_OAUTH_${randomBytes(4).toString('hex')}`;
  process.env[name] = value;
  return `env:${name}`;
}

async function server(name: string, layout: 'inbox-prefix-dot' | 'slash-no-prefix'): Promise<DovecotServer> {
  const dir = mkdtempSync(path.join(tmpdir(), `mailshift-${name}-`));
  dirs.push(dir);
  const users = [ALICE, 'bob@example.test'].map((user) => ({ user, password: (passwords[`${name} ${user}`] = randomBytes(9).toString('hex')) }));
  return startDovecot({ name, dir, layout, users, oauth2: { introspectionUrl: as.introspectionUrl } });
}

beforeAll(async () => {
  as = await startAuthServer({ ttl: TTL });
  host1 = await server('oauth-host1', 'inbox-prefix-dot');
  host2 = await server('oauth-host2', 'slash-no-prefix');
  // ~1.5 KB a message at 50 KB/s into host2: the copy lasts several token lifetimes.
  throttle = await startThrottle(host2.port, 50 * 1024);
  await seedBulk(host1, ALICE, passwords[`oauth-host1 ${ALICE}`], { folder: 'INBOX', count: MESSAGES });
  refreshToken = await as.seedRefreshToken(ALICE);
});
afterAll(async () => {
  await throttle?.close();
  await Promise.allSettled([host1?.stop(), host2?.stop()]);
  await as?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const userClient = (): OAuth2Client => ({
  issuer: as.issuer,
  clientId: 'mailshift',
  clientSecret: ref(as.clientSecret),
  grant: 'refresh_token',
  refreshToken: ref(refreshToken),
});
const appClient = (): OAuth2Client => ({
  tokenEndpoint: `${as.issuer}/token`,
  clientId: 'mailshift',
  clientSecret: ref(as.clientSecret),
  grant: 'client_credentials',
  scope: 'imap',
});
const account = (port: number, oauth2: OAuth2Client, user = ALICE): ImapAccount => ({
  endpoint: { host: '127.0.0.1', port, tls: 'none' },
  login: { user, mechanism: 'oauth2', oauth2 },
});

function request(source = userClient(), destination = appClient()): SyncRequest {
  return {
    mailbox: ALICE,
    source: account(host1.port, source),
    destination: account(throttle.port, destination),
    deleteOnDestination: false,
    deleteOnSource: false,
    tuning: { batchMessages: 10, parallelFolders: 1 },
  };
}

const grants = (grant: string) => as.issued.filter((i) => i.grant === grant).length;
const allTokens = () => [as.clientSecret, refreshToken, ...as.issued.flatMap((i) => i.tokens)];
const hashes = async (s: DovecotServer) => (await readMailbox(s, ALICE, passwords[`${s.name} ${ALICE}`])).map((m) => m.sha256).sort();

test('tokens expire during the sync, refresh tokens rotate, host2 ends the session: the folder goes on over fresh tokens, each message copied once', async () => {
  const env = new MockActivityEnvironment();
  const beats: unknown[] = [];
  const started = Date.now();
  let kickedAt = 0;
  env.on('heartbeat', (beat: { copied: number }) => {
    beats.push(beat);
    // Past the tokens' life, mid-copy: host2 closes the session, as Exchange Online does.
    if (!kickedAt && Date.now() - started > (TTL + 0.5) * 1000 && beat.copied > 0) {
      kickedAt = Date.now();
      host2.kick(ALICE);
    }
  });
  const result = (await env.run(syncMailbox, request())) as SyncResult;
  expect(kickedAt).toBeGreaterThan(0);
  // The folder done again found on host2 what the lost session had copied, and copied the rest.
  expect(result.totals.copied).toBeLessThan(MESSAGES);
  expect(result.totals.destinationMessages + result.totals.copied).toBe(MESSAGES);
  expect(result.folders.find((f) => f.destination === 'INBOX')).toMatchObject({ fullReason: 'connection lost mid-folder' });
  // Both grants were asked again after the first tokens expired (refresh tokens rotating).
  expect(grants('refresh_token')).toBeGreaterThanOrEqual(2);
  expect(grants('client_credentials')).toBeGreaterThanOrEqual(2);
  expect(await hashes(host2)).toEqual(await hashes(host1));
  const text = JSON.stringify(beats) + JSON.stringify(result);
  for (const secret of allTokens()) expect(text).not.toContain(secret);
}, 60_000);

test('a token the server refuses before its time is replaced once', async () => {
  as.setTtl(600);
  try {
    await verifyMailbox(request()); // caches 10-minute tokens
    const before = [grants('refresh_token'), grants('client_credentials')];
    await as.revokeAccessTokens();
    expect((await verifyMailbox(request())).ok).toBe(true);
    expect([grants('refresh_token'), grants('client_credentials')]).toEqual([before[0] + 1, before[1] + 1]);
  } finally {
    as.setTtl(TTL);
  }
});

/** Every string a failure carries to Temporal. */
async function failure(req: SyncRequest): Promise<ApplicationFailure> {
  const err = await syncMailbox(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const e = err as ApplicationFailure;
  const text = JSON.stringify({ message: e.message, stack: e.stack, details: e.details, cause: String(e.cause ?? '') });
  for (const secret of [...allTokens(), 'wrong-secret-5e1f', 'unknown-refresh-token-77aa']) expect(text).not.toContain(secret);
  return e;
}

test('failures name the login and the OAuth2 error, never a token or secret', async () => {
  const wrongSecret = { ...appClient(), clientSecret: ref('wrong-secret-5e1f') };
  expect(await failure(request(undefined, wrongSecret))).toMatchObject({
    type: 'OAuth2Refused',
    nonRetryable: true,
    message: expect.stringMatching(/^host2 mailbox alice@example\.test \(login alice@example\.test\): .*invalid_client/),
  });
  // The same client for another mailbox: the failure names that one.
  const other = { ...request(undefined, wrongSecret), mailbox: 'carol@example.test' };
  expect((await failure(other)).message).toMatch(/^host2 mailbox carol@example\.test/);

  const deadRefresh = { ...userClient(), refreshToken: ref('unknown-refresh-token-77aa') };
  expect(await failure(request(deadRefresh))).toMatchObject({
    type: 'OAuth2Refused',
    nonRetryable: true,
    message: expect.stringMatching(/^host1 .*invalid_grant/),
  });

  const unreachable = { ...appClient(), tokenEndpoint: `http://127.0.0.1:${await freePort()}/token` };
  expect(await failure(request(undefined, unreachable))).toMatchObject({ type: 'OAuth2Unavailable', nonRetryable: false });

  // alice's token is no key to bob's mailbox, even fresh.
  const req = request();
  req.destination = account(throttle.port, userClient(), 'bob@example.test');
  expect(await failure(req)).toMatchObject({ type: 'ImapLoginFailed', nonRetryable: true, message: expect.stringContaining('AUTHENTICATIONFAILED') });
});
