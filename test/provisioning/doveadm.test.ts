// Creating the mailboxes on a real Dovecot host2 with doveadm: the users are in its
// passdb (doveadm creates the storage, not the login). Running twice reports
// already-there; a user Dovecot does not know fails for good, saying so.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { provisionMailboxes } from '../../activities/provisioning/provision';

let dir: string;
let host2: DovecotServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-provision-dovecot-'));
  host2 = await startDovecot({
    name: 'host2',
    dir,
    layout: 'slash-no-prefix',
    users: [
      { user: 'alice', password: 'alice-pw-1' },
      { user: 'bob', password: 'bob-pw-2' },
    ],
  });
}, 60_000);
afterAll(async () => {
  await host2?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const doveadm = () => ({ method: 'doveadm' as const, doveadmConfig: host2.conf });
const u = (user: string) => ({ user, mailbox: user });

it('creates the mailbox storage of users host2 knows; a second run reports already-there', async () => {
  expect(existsSync(path.join(host2.dir, 'mail', 'alice'))).toBe(false);
  const report = await provisionMailboxes({ method: doveadm(), users: [u('alice'), u('bob')] });
  expect(report).toEqual({
    method: 'doveadm',
    users: [
      { user: 'alice', outcome: 'created' },
      { user: 'bob', outcome: 'created' },
    ],
  });
  expect(existsSync(path.join(host2.dir, 'mail', 'alice', 'cur'))).toBe(true);
  expect((await provisionMailboxes({ method: doveadm(), users: [u('alice'), u('bob')] })).users).toEqual([
    { user: 'alice', outcome: 'already-there' },
    { user: 'bob', outcome: 'already-there' },
  ]);
});

it('a user missing from host2 fails for good, naming them and saying doveadm does not create logins', async () => {
  const err = await provisionMailboxes({ method: doveadm(), users: [u('alice'), u('carol')] }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'ProvisionUserUnknown', nonRetryable: true });
  expect((err as Error).message).toMatch(/user carol does not exist on host2 \(.*User doesn't exist\); doveadm creates the mailbox storage, not the login/);
});

it('a doveadm that is not there fails for good', async () => {
  await expect(provisionMailboxes({ method: { ...doveadm(), doveadmPath: path.join(dir, 'no-doveadm') }, users: [u('alice')] })).rejects.toMatchObject({
    type: 'ProvisionDoveadmMissing',
    nonRetryable: true,
  });
});
