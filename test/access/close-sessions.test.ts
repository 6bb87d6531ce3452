// Closing open sessions on a real Dovecot (lucky scenario, access method `dns`: the parked
// host name stops new connections, doveadm kick ends the ones already open). Only the
// users named lose their sessions; nobody loses the right to log in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { closeSessions } from '../../activities/access/close-sessions';

let dir: string;
let host1: DovecotServer;
const PASSWORDS: Record<string, string> = { alice: 'alice-pw-1', bob: 'bob-pw-2' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-access-sessions-'));
  host1 = await startDovecot({
    name: 'host1',
    dir,
    layout: 'slash-no-prefix',
    users: Object.entries(PASSWORDS).map(([user, password]) => ({ user, password })),
  });
}, 60_000);
afterAll(async () => {
  await host1?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function openSession(user: string): Promise<{ session: ImapFlow; closed: Promise<void> }> {
  const session = new ImapFlow({
    host: host1.host,
    port: host1.port,
    secure: false,
    auth: { user, pass: PASSWORDS[user] },
    logger: false,
    connectionTimeout: 10_000,
  });
  await session.connect();
  await session.mailboxOpen('INBOX');
  return { session, closed: new Promise<void>((r) => session.once('close', () => r())) };
}

it("closes the named users' open sessions only, and says who had any; a repeat finds none", async () => {
  const alice = await openSession('alice');
  const bob = await openSession('bob');
  try {
    const report = await closeSessions({ doveadmConfig: host1.conf, users: ['alice'] });
    expect(report).toEqual([{ user: 'alice', sessionsKicked: true }]);
    await alice.closed;
    expect(alice.session.usable).toBe(false);
    // bob was not named: his session goes on.
    expect(await bob.session.status('INBOX', { messages: true })).toMatchObject({ messages: 0 });

    expect(await closeSessions({ doveadmConfig: host1.conf, users: ['alice', 'alice'] })).toEqual([{ user: 'alice', sessionsKicked: false }]);
    // Kicking is not cutting: alice may log in again (the parked host name keeps her clients away).
    const again = await openSession('alice');
    await again.session.logout();
  } finally {
    await bob.session.logout();
  }
});

it('refuses an option-like user name and a relative config before running doveadm', async () => {
  await expect(closeSessions({ doveadmConfig: host1.conf, users: ['-a'] })).rejects.toMatchObject({ type: 'InvalidAccessRequest', nonRetryable: true });
  await expect(closeSessions({ doveadmConfig: 'dovecot.conf', users: ['alice'] })).rejects.toMatchObject({ type: 'InvalidAccessRequest', nonRetryable: true });
});

it('a worker without doveadm fails for good, saying where it must run', async () => {
  await expect(closeSessions({ doveadmConfig: host1.conf, doveadmPath: path.join(dir, 'no-doveadm'), users: ['alice'] })).rejects.toMatchObject({
    type: 'AccessDoveadmMissing',
    nonRetryable: true,
    message: expect.stringContaining("where host1's Dovecot runs"),
  });
});
