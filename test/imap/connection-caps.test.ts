// The per-login connection cap against Dovecot's own limit (mail_max_userip_connections):
// one mailbox's sync holds exactly two connections per side (its first pair and one more
// for the second folder copied in parallel), as `doveadm who` counts them while it runs.
// Within a limit of two it completes; with one
// of the two taken by the user's own mail client, Dovecot refuses the sync's second login
// (throttled); with the spec's connectionsPerAccount at 1 the same sync completes, byte-exact.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import { IMAP_THROTTLED, throttleOf } from '../../activities/imap/errors';
import { connectImap, startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { syncRequest } from '../../workflows/requests';
import { parseSpec, type ListedSpecInput } from '../../workflows/spec';
import { buildCorpus, fingerprints, readMailbox, seedMailbox } from './corpus';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(120_000);

const USERS = ['amy', 'bob'];
const LIMIT = 2;
// Enough mail for a second pair of connections (one per 250 messages to read): the sync holds its full 2 a side.
const corpus = buildCorpus({ large: false, bulk: 300 });
const expected = fingerprints(
  corpus.map((m) => ({ folder: m.folder === 'Sent Items' ? 'Sent' : m.folder, raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() })),
);
let hosts: Hosts;
let limited: DovecotServer;
let dir: string;

beforeAll(async () => {
  hosts = await startHosts(USERS);
  for (const u of USERS) await seedMailbox(hosts.host1, u, hosts.users[u].host1.password, corpus);
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-host2-capped-'));
  limited = await startDovecot({
    name: 'host2-capped',
    dir,
    layout: 'slash-no-prefix',
    users: USERS.map((user) => ({ user, password: hosts.users[user].host2.password })),
    maxUserIpConnections: LIMIT,
  });
});
afterAll(async () => {
  await limited?.stop();
  await hosts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A presync request for `user` as the runbook builds it, from a spec with host2's fields `host2`. */
function request(user: string, host2: Record<string, unknown> = {}) {
  const input = demoSpec('classical', new Date(Date.now() + 86_400_000)) as ListedSpecInput;
  input.host1 = { host: '127.0.0.1', port: hosts.host1.port, tls: 'none' };
  input.host2 = { host: '127.0.0.1', port: limited.port, tls: 'none', ...host2 };
  input.mailboxes = [
    { source: { user, credential: hosts.users[user].host1.credential }, destination: { user, credential: hosts.users[user].host2.credential }, wave: 'all' },
  ];
  const spec = parseSpec(input, new Date());
  return syncRequest(spec, spec.mailboxes[0], 'presync', { deleteOnDestination: false, deleteOnSource: false });
}

const host2Of = (user: string) => readMailbox(limited, user, hosts.users[user].host2.password);

/** The most IMAP sessions `user` held on each side while `work` ran, as Dovecot counts them (doveadm who). */
async function sessionsDuring<T>(user: string, work: Promise<T>): Promise<{ result: T; host1: number; host2: number }> {
  const peak = { host1: 0, host2: 0 };
  let running = true;
  const count = async (server: DovecotServer) => {
    const { stdout } = await promisify(execFile)('doveadm', ['-c', server.conf, 'who', '-1', user], { encoding: 'utf8' });
    return stdout.split('\n').filter((line) => line.startsWith(`${user} `)).length;
  };
  const poll = (async () => {
    while (running) {
      const [h1, h2] = await Promise.all([count(hosts.host1), count(limited)]);
      peak.host1 = Math.max(peak.host1, h1);
      peak.host2 = Math.max(peak.host2, h2);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { result: await work, ...peak };
  } finally {
    running = false;
    await poll;
  }
}

it(`a sync holds ${LIMIT} connections per side: within Dovecot's limit of ${LIMIT} it completes, byte-exact`, async () => {
  const req = request('amy');
  expect(req.tuning).toEqual({ parallelFolders: LIMIT });
  const { result: r, host1, host2 } = await sessionsDuring('amy', syncMailbox(req));
  // Dovecot's own count while the sync ran: exactly its parallel folders' pairs.
  expect({ host1, host2 }).toEqual({ host1: LIMIT, host2: LIMIT });
  expect(r.totals.copied).toBe(corpus.length);
  expect(fingerprints(await host2Of('amy'))).toEqual(expected);
  expect((await verifyMailbox(req)).missing).toBe(0);
});

describe('with one of the connections taken by the user’s own mail client', () => {
  let held: Awaited<ReturnType<typeof connectImap>>;
  beforeAll(async () => {
    held = await connectImap(limited, 'bob', hosts.users.bob.host2.password);
  });
  afterAll(async () => {
    await held?.logout();
  });

  it('without a cap, Dovecot refuses the second login: the sync fails throttled', async () => {
    const err = await syncMailbox(request('bob')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: IMAP_THROTTLED, nonRetryable: true });
    expect(throttleOf((err as ApplicationFailure).details)?.reason).toContain('Maximum number of connections from user+IP exceeded');
  });

  it('with host2.connectionsPerAccount 1, the same sync completes byte-exact with no refusal', async () => {
    const req = request('bob', { connectionsPerAccount: 1 });
    expect(req.tuning).toEqual({ parallelFolders: 1 });
    const { result: r, host1, host2 } = await sessionsDuring('bob', syncMailbox(req));
    expect(r.folders.length).toBeGreaterThan(2); // several folders, one at a time
    expect({ host1, host2 }).toEqual({ host1: 1, host2: 2 }); // host2: the sync's one and the held one
    expect(fingerprints(await host2Of('bob'))).toEqual(expected);
    expect((await verifyMailbox(req)).missing).toBe(0);
  });
});
