// Two real Dovecot servers for one test file, in fresh temporary directories: host1 with
// the `INBOX.` prefix and `.` separator, host2 with `/` and no prefix (the classic
// migration mismatch). Passwords are random per run and reach the code under test only
// as env: references, so "the password never appears" assertions mean something.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDovecot, type DovecotServer, type MailUser } from '../../scripts/servers/dovecot';
import type { ImapFlow } from 'imapflow';
import type { ImapAccount, SyncRequest } from '../../activities/imap/types';
import { connect, serverPathOf, type StoredMessage } from './corpus';

export interface TestUser {
  user: string;
  password: string;
  /** The env: reference holding the password. */
  credential: string;
}

export interface Hosts {
  host1: DovecotServer;
  host2: DovecotServer;
  /** host1's admin (master user) and its password reference. */
  admin: TestUser;
  users: Record<string, { host1: TestUser; host2: TestUser }>;
  account(server: DovecotServer, login: TestUser): ImapAccount;
  /** A host1 → host2 request for `user`, with overrides. */
  request(user: string, overrides?: Partial<SyncRequest>): SyncRequest;
  stop(): Promise<void>;
}

let counter = 0;

function testUser(user: string, tag: string): TestUser {
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const variable = `MAILSHIFT_TEST_${tag}_${process.pid}_${++counter}`;
  process.env[variable] = password;
  return { user, password, credential: `env:${variable}` };
}

export async function startHosts(userNames: string[], options: { host2Quota?: Record<string, string>; maxLineLength?: number } = {}): Promise<Hosts> {
  const dirs = [mkdtempSync(path.join(tmpdir(), 'mailshift-host1-')), mkdtempSync(path.join(tmpdir(), 'mailshift-host2-'))];
  const users: Hosts['users'] = {};
  for (const u of userNames) users[u] = { host1: testUser(u, 'H1'), host2: testUser(u, 'H2') };
  const admin = testUser('admin', 'ADMIN');
  const mailUsers = (side: 'host1' | 'host2'): MailUser[] =>
    userNames.map((u) => ({ user: u, password: users[u][side].password, quota: side === 'host2' ? options.host2Quota?.[u] : undefined }));
  const { maxLineLength } = options;
  const host1 = await startDovecot({ name: 'host1', dir: dirs[0], layout: 'inbox-prefix-dot', users: mailUsers('host1'), masters: [admin], maxLineLength });
  let host2: DovecotServer;
  try {
    host2 = await startDovecot({ name: 'host2', dir: dirs[1], layout: 'slash-no-prefix', users: mailUsers('host2'), masters: [admin], maxLineLength });
  } catch (err) {
    await host1.stop();
    throw err;
  }
  const account = (server: DovecotServer, login: TestUser): ImapAccount => ({
    endpoint: { host: server.host, port: server.port, tls: 'none' },
    login: { user: login.user, credential: login.credential },
  });
  return {
    host1,
    host2,
    admin,
    users,
    account,
    request: (user, overrides = {}) => ({
      mailbox: `${user}@example.org`,
      source: account(host1, users[user].host1),
      destination: account(host2, users[user].host2),
      deleteOnDestination: false,
      deleteOnSource: false,
      ...overrides,
    }),
    stop: async () => {
      await Promise.allSettled([host1.stop(), host2.stop()]);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` logged in as `user` on one side; `path` spells a logical folder name as that server does. */
export async function onServer<T>(
  hosts: Hosts,
  side: 'host1' | 'host2',
  user: string,
  fn: (c: ImapFlow, path: (logical: string) => string) => Promise<T>,
): Promise<T> {
  const server = hosts[side];
  const client = await connect(server, user, hosts.users[user][side].password);
  try {
    return await fn(client, (logical) => serverPathOf(server, logical));
  } finally {
    await client.logout();
  }
}

/** The UID of the one message in `folderName` whose source holds `marker`. */
export function uidOf(messages: StoredMessage[], folderName: string, marker: string): number {
  const hit = messages.filter((m) => m.folder === folderName && m.source.includes(marker));
  if (hit.length !== 1) throw new Error(`${hit.length} messages with ${marker} in ${folderName}`);
  return hit[0].uid;
}
