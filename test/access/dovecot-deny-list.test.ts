// Cutting access to host1 with a real Dovecot: its passdb consults the deny list this
// method writes. Before the cut a user logs in; after it they cannot and their open
// session is gone; after restore they can again. Repeats change nothing and say so.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { cutAccess, restoreAccess } from '../../activities/access/change-access';
import type { AccessInput } from '../../activities/access/schema';

let dir: string;
let host1: DovecotServer;
const PASSWORDS: Record<string, string> = { alice: 'alice-pw-1', bob: 'bob-pw-2', carol: 'carol-pw-3', dan: 'dan-pw-4' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-access-dovecot-'));
  host1 = await startDovecot({
    name: 'host1',
    dir,
    layout: 'inbox-prefix-dot',
    users: Object.entries(PASSWORDS).map(([user, password]) => ({ user, password })),
  });
  // An operator's own entries stay untouched by mailshift.
  writeFileSync(host1.denyFile, '# denied by hand, ticket 4711\nmallory:\n');
  // Dovecot's auth process must still read it; the unusual mode shows it is kept.
  chmodSync(host1.denyFile, 0o604);
}, 60_000);
afterAll(async () => {
  await host1?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(user: string): ImapFlow {
  return new ImapFlow({ host: host1.host, port: host1.port, secure: false, auth: { user, pass: PASSWORDS[user] }, logger: false, connectionTimeout: 10_000 });
}
/** Whether a fresh IMAP login succeeds now. */
async function canLogIn(user: string): Promise<boolean> {
  const c = client(user);
  try {
    await c.connect();
    await c.logout();
    return true;
  } catch (err) {
    if ((err as { authenticationFailed?: boolean }).authenticationFailed) return false;
    throw err;
  }
}
const request = (users: string[], phase = 'cutover'): AccessInput => ({
  method: { method: 'dovecot-deny-list', denyFile: host1.denyFile, doveadmConfig: host1.conf },
  users,
  phase,
});
const denied = () =>
  readFileSync(host1.denyFile, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));

it('before the cut alice logs in; after it she cannot, her open session is closed, bob is unaffected', async () => {
  expect(await canLogIn('alice')).toBe(true);
  const session = client('alice');
  await session.connect();
  await session.mailboxOpen('INBOX');
  const closed = new Promise<void>((r) => session.once('close', () => r()));

  const report = await cutAccess(request(['alice']));
  expect(report).toEqual({ method: 'dovecot-deny-list', action: 'cut', phase: 'cutover', users: [{ user: 'alice', outcome: 'cut', sessionsKicked: true }] });
  await closed;
  expect(session.usable).toBe(false);
  // Refused from the moment cutAccess returns (it waited out Dovecot's reload check).
  expect(await canLogIn('alice')).toBe(false);
  expect(await canLogIn('bob')).toBe(true);
  expect(denied()).toEqual(['mallory:', 'alice']);
  expect(readFileSync(host1.denyFile, 'utf8')).toMatch(/^# denied by hand, ticket 4711\n/);
  expect(statSync(host1.denyFile).mode & 0o777).toBe(0o604);
});

it('cutting again reports already-cut and does not touch the file', async () => {
  const before = statSync(host1.denyFile);
  const content = readFileSync(host1.denyFile, 'utf8');
  const report = await cutAccess(request(['alice']));
  expect(report.users).toEqual([{ user: 'alice', outcome: 'already-cut', sessionsKicked: false }]);
  expect(readFileSync(host1.denyFile, 'utf8')).toBe(content);
  expect(statSync(host1.denyFile).mtimeMs).toBe(before.mtimeMs);
  expect(statSync(host1.denyFile).ino).toBe(before.ino);
});

it('restore lets alice log in again; restoring again reports already-open and changes nothing', async () => {
  const report = await restoreAccess(request(['alice', 'bob'], 'rollback'));
  expect(report).toEqual({
    method: 'dovecot-deny-list',
    action: 'restore',
    phase: 'rollback',
    users: [
      { user: 'alice', outcome: 'restored' },
      { user: 'bob', outcome: 'already-open' },
    ],
  });
  expect(await canLogIn('alice')).toBe(true);
  expect(denied()).toEqual(['mallory:']);
  expect(readFileSync(host1.denyFile, 'utf8')).toMatch(/^# denied by hand, ticket 4711\n/);

  const before = statSync(host1.denyFile);
  const again = await restoreAccess(request(['alice'], 'rollback'));
  expect(again.users).toEqual([{ user: 'alice', outcome: 'already-open' }]);
  expect(statSync(host1.denyFile).mtimeMs).toBe(before.mtimeMs);
  expect(await canLogIn('alice')).toBe(true);
});

it('concurrent cuts (two waves at once) lose no user', async () => {
  const [a, b] = await Promise.all([cutAccess(request(['carol'])), cutAccess(request(['dan', 'carol']))]);
  const outcomes = [...a.users, ...b.users].map((u) => `${u.user}:${u.outcome}`).sort();
  expect(outcomes).toEqual(['carol:already-cut', 'carol:cut', 'dan:cut']);
  expect(denied().sort()).toEqual(['carol', 'dan', 'mallory:']);
  // Each refused login costs seconds (Dovecot's failure delay grows per client IP): one is enough.
  expect(await canLogIn('dan')).toBe(false);
  expect(await canLogIn('alice')).toBe(true);
  await restoreAccess(request(['carol', 'dan'], 'rollback'));
  expect(await canLogIn('carol')).toBe(true);
  expect(existsSync(`${host1.denyFile}.lock`)).toBe(false);
});

it('refuses a user name that cannot be written to a passwd-file, before writing anything', async () => {
  const content = readFileSync(host1.denyFile, 'utf8');
  await expect(cutAccess(request(['eve:x']))).rejects.toMatchObject({ type: 'AccessInvalidUser', nonRetryable: true });
  await expect(cutAccess(request(['-rf']))).rejects.toMatchObject({ type: 'InvalidAccessRequest', nonRetryable: true });
  expect(readFileSync(host1.denyFile, 'utf8')).toBe(content);
});

it('creates a missing deny list (without doveadm: no kick)', async () => {
  const file = path.join(dir, 'new-deny');
  const report = await cutAccess({ method: { method: 'dovecot-deny-list', denyFile: file }, users: ['zoe'], phase: 'cutover' });
  expect(report.users).toEqual([{ user: 'zoe', outcome: 'cut' }]);
  expect(readFileSync(file, 'utf8')).toBe('zoe\n');
});
