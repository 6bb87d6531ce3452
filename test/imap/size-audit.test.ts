// The size audit that preflight runs with each verification, against two real Dovecot
// servers with quotas on host2 (1 MiB, Dovecot's quota plugin, GETQUOTAROOT INBOX): a
// mailbox that fits, one that does not (with the numbers), one whose host2 has no quota,
// mail an earlier sync copied not counted twice, folder rules respected; a message over
// host2's limit, its provider's or its APPENDLIMIT. Dovecot 2.3 announces no APPENDLIMIT
// (even with quota_max_mail_size, which refuses at APPEND with NO [LIMIT]), so a proxy adds
// one to its login answer.
import { appendFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { sizeAudit } from '../../activities/imap/size-audit';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import { connectImap } from '../../scripts/servers/dovecot';
import { startImapProxy } from '../harness/imap-proxy';
import { makeMessage, seedMailbox, type CorpusMessage } from './corpus';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(90_000);

const KiB = 1024;
const MiB = 1024 * KiB;
const DATE = new Date('2024-04-01T09:00:00Z');
let hosts: Hosts;

/** A message of about `kib` KiB in `folder`. */
function message(folder: string, label: string, kib: number): CorpusMessage {
  const body = `${label} `.padEnd(kib * 1024, 'x').replace(/(.{76})/g, '$1\n');
  return { folder, label, raw: makeMessage({ messageId: `<${label}@example.net>`, subject: label, date: DATE, body }), flags: ['\\Seen'], internalDate: DATE };
}

beforeAll(async () => {
  hosts = await startHosts(['small', 'large', 'free', 'again', 'big'], {
    host2Quota: { small: '*:storage=1M', large: '*:storage=1M', again: '*:storage=1M' },
  });
  // small: 300 KiB; large: 1.2 MiB (over 1 MiB); free: no quota on host2; again: 600 KiB, then partly copied.
  await seedMailbox(hosts.host1, 'small', hosts.users.small.host1.password, [message('INBOX', 's1', 100), message('Archive', 's2', 200)]);
  await seedMailbox(hosts.host1, 'large', hosts.users.large.host1.password, [
    message('INBOX', 'l1', 400),
    message('INBOX', 'l2', 500),
    message('Archive', 'l3', 300),
  ]);
  await seedMailbox(hosts.host1, 'free', hosts.users.free.host1.password, [message('INBOX', 'f1', 50)]);
  await seedMailbox(hosts.host1, 'again', hosts.users.again.host1.password, [message('INBOX', 'a1', 300), message('Archive', 'a2', 300)]);
  // big: no quota on host2, two messages over 300 KiB (400 and 500 KiB) and one under.
  await seedMailbox(hosts.host1, 'big', hosts.users.big.host1.password, [
    message('INBOX', 'b1', 400),
    message('INBOX', 'b2', 100),
    message('Archive', 'b3', 500),
  ]);
});
afterAll(async () => {
  await hosts?.stop();
});

it('a mailbox that fits: host1 bytes, count and largest message, host2 quota and usage', async () => {
  const { size } = await verifyMailbox(hosts.request('small'));
  expect(size).toMatchObject({ host1Messages: 2, toCopyMessages: 2, quota: { limit: MiB, usage: 0 }, appendLimit: null, fits: true, reasons: [] });
  expect(size!.host1Bytes).toBeGreaterThan(300 * 1024);
  expect(size!.host1Bytes).toBeLessThan(320 * 1024);
  expect(size!.toCopyBytes).toBe(size!.host1Bytes);
  expect(size!.largest).toBeGreaterThan(200 * 1024);
  expect(size!.largest).toBeLessThan(210 * 1024);
});

it('a mailbox that does not fit says so in numbers', async () => {
  const { size } = await verifyMailbox(hosts.request('large'));
  expect(size).toMatchObject({ host1Messages: 3, quota: { limit: MiB, usage: 0 }, fits: false });
  expect(size!.host1Bytes).toBeGreaterThan(1.17 * MiB);
  expect(size!.reasons).toEqual([
    expect.stringMatching(/^needs 1\.\d MiB \(3 message\(s\) not yet on host2\), host2 quota leaves 1\.0 MiB \(0 B used of 1\.0 MiB\)$/),
  ]);
});

it('the folder rules decide what is counted: without the Archive it fits', async () => {
  const { size } = await verifyMailbox(hosts.request('large', { folders: { exclude: ['^Archive$'] } }));
  expect(size).toMatchObject({ host1Messages: 2, fits: true });
  expect(size!.host1Bytes).toBeLessThan(MiB);
});

it('without a quota on host2 the quota is null and the mailbox fits', async () => {
  const { size } = await verifyMailbox(hosts.request('free'));
  expect(size).toMatchObject({ host1Messages: 1, quota: null, appendLimit: null, fits: true });
});

it('mail an earlier sync copied is in host2 usage and not counted again as needed', async () => {
  await syncMailbox(hosts.request('again', { folders: { include: ['^INBOX$'] } }));
  const { size } = await verifyMailbox(hosts.request('again'));
  expect(size!.quota!.usage).toBeGreaterThan(290 * 1024);
  expect(size).toMatchObject({ host1Messages: 2, toCopyMessages: 1, fits: true });
  // Only the Archive's message is still needed, not host1's total on top of host2's usage.
  expect(size!.toCopyBytes).toBeLessThan(size!.host1Bytes / 2 + 10_000);
});

/** The reason a mailbox with `n` messages over host2's `limit` does not fit. */
const tooLarge = (n: number, limit: string, which: string) =>
  new RegExp(
    `^${n} message\\(s\\) larger than host2 accepts: largest 5\\d\\d\\.\\d KiB, host2 accepts at most ${limit} \\(${which}\\); sync.maxSizeBytes would leave them out$`,
  );

it("messages over host2's provider limit do not fit, counted, with the largest and the limit", async () => {
  const { size, missing } = await verifyMailbox(hosts.request('big', { destinationMaxMessageBytes: 300 * KiB }));
  // Judged, not skipped: all three are still to copy.
  expect(missing).toBe(3);
  expect(size).toMatchObject({ host1Messages: 3, toCopyMessages: 3, quota: null, appendLimit: null, providerLimit: 300 * KiB, fits: false });
  expect(size!.reasons).toEqual([expect.stringMatching(tooLarge(2, '300\\.0 KiB', "its provider's limit"))]);
});

it('the operator leaving large messages out (sync.maxSizeBytes) makes it fit, and a sync skips them', async () => {
  const req = hosts.request('big', { destinationMaxMessageBytes: 300 * KiB, maxSizeBytes: 300 * KiB });
  const { size } = await verifyMailbox(req);
  expect(size).toMatchObject({ host1Messages: 1, toCopyMessages: 1, fits: true, reasons: [] });
  // Without the operator's choice a sync still skips what host2 would refuse, and says so.
  const synced = await syncMailbox({ ...req, maxSizeBytes: undefined, dryRun: true });
  expect(synced.totals.skipped).toBe(2);
});

it("host2's APPENDLIMIT (added to Dovecot's login answer by a proxy): the smaller limit wins", async () => {
  const probe = await connectImap(hosts.host2, 'big', hosts.users.big.host2.password);
  const caps = [...probe.capabilities.keys()].join(' ');
  await probe.logout();
  const proxy = await startImapProxy(hosts.host2, {
    commands: ['LOGIN', 'AUTHENTICATE'],
    answer: `OK [CAPABILITY ${caps} APPENDLIMIT=${450 * KiB}] Logged in`,
    times: 10,
  });
  try {
    const req = hosts.request('big', { destinationMaxMessageBytes: 35_651_584 });
    req.destination.endpoint.port = proxy.port;
    const { size } = await verifyMailbox(req);
    expect(proxy.injected()).toBeGreaterThan(0);
    expect(size).toMatchObject({ appendLimit: 450 * KiB, providerLimit: 35_651_584, fits: false });
    expect(size!.reasons).toEqual([expect.stringMatching(tooLarge(1, '450\\.0 KiB', 'its APPENDLIMIT'))]);
  } finally {
    await proxy.close();
  }
});

it('a message larger than host2 accepts (APPENDLIMIT) does not fit, named with both sizes', () => {
  const folder = { sourceMessages: 2, sourceBytes: 31 * MiB, largest: 30 * MiB, missing: 2, missingBytes: 31 * MiB, largestMissing: 30 * MiB, tooLarge: 1 };
  const audit = sizeAudit([folder], { quota: null, appendLimit: 25 * MiB });
  expect(audit).toMatchObject({
    fits: false,
    reasons: [
      '1 message(s) larger than host2 accepts: largest 30.0 MiB, host2 accepts at most 25.0 MiB (its APPENDLIMIT); sync.maxSizeBytes would leave them out',
    ],
  });
  // Already on host2: nothing to append, nothing refused.
  expect(sizeAudit([{ ...folder, missing: 0, missingBytes: 0, largestMissing: 0 }], { quota: null, appendLimit: 25 * MiB }).fits).toBe(true);
  expect(sizeAudit([folder], { quota: { limit: 40 * MiB, usage: 30 * MiB }, messageQuota: { limit: 100, usage: 99 }, appendLimit: null }).reasons).toEqual([
    'needs 31.0 MiB (2 message(s) not yet on host2), host2 quota leaves 10.0 MiB (30.0 MiB used of 40.0 MiB)',
    'needs 2 message(s), host2 message quota leaves 1 (of 100)',
  ]);
});

// Last: it changes host2's configuration for everyone.
it("Dovecot's per-message limit (quota_max_mail_size) is not announced: the append limit stays null", async () => {
  appendFileSync(hosts.host2.conf, '\nplugin {\n  quota_max_mail_size = 10k\n}\n');
  expect(spawnSync('doveadm', ['-c', hosts.host2.conf, 'reload']).status).toBe(0);
  await new Promise((r) => setTimeout(r, 500));
  const { size } = await verifyMailbox(hosts.request('small'));
  expect(size).toMatchObject({ appendLimit: null, fits: true });
});
