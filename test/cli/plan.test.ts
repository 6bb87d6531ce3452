// `mailshift plan` against real servers: it reports what is there and what will happen,
// and changes nothing on host1, host2 or in DNS.
import { sizeTable } from '../../scripts/cli/plan';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { dig } from '../dns/dig';
import { messages, startRealWorld, type RealWorld } from '../e2e/real-world';
import { cli, specFile } from './capture';

jest.setTimeout(120_000);
let w: RealWorld;
beforeAll(async () => {
  w = await startRealWorld();
});
afterAll(() => w?.stop());

const mailshift = cli();

it('lists each mailbox, the DNS records and the steps, and changes nothing', async () => {
  const spec = demoSpec('classical', new Date(Date.now() + 3 * 86_400_000), w.servers);
  const run = await mailshift('plan', specFile('plan.json', spec));
  expect(run.code).toBe(0);
  for (const u of demoUsers) expect(run.stdout).toMatch(new RegExp(`${u}\\s+\\S+\\s+8 message\\(s\\) in \\d+ folder\\(s\\), 8 not yet on host2`));
  expect(run.stdout).toContain('Projets/Été 2026 -> Projets/Été 2026: 1 (host2 has 0)');
  // The sandbox's host2 has no quota: every mailbox fits.
  expect(run.stdout).toMatch(/mailbox\s+host1 size\s+largest\s+to copy\s+host2 quota free\s+append limit\s+verdict/);
  for (const u of demoUsers) expect(run.stdout).toMatch(new RegExp(`\\s${u}(\\s+[\\d.]+ (B|KiB|MiB)){3}\\s+no quota\\s+none\\s+fits\\n`));
  expect(run.stdout).toContain('example.test. MX: 10 mail1.example.test. (TTL 600 s)');
  expect(run.stdout).toMatch(/lower the TTL of the MX to 300 s, then wait the old TTL \(600 s\)/);
  expect(run.stdout).toMatch(/gate cutover: .* \(wave everyone\)/);
  // Nothing changed.
  for (const u of demoUsers) expect(await messages(w.host2, u, w.passwords[`host2-${u}`])).toEqual([]);
  expect(await dig(w.knot.port, 'example.test', 'MX')).toMatchObject({ ttl: 600 });
});

it('names the mailbox whose login fails, without its password, and exits 1', async () => {
  const spec = demoSpec('classical', new Date(Date.now() + 3 * 86_400_000), w.servers);
  process.env.PLAN_TEST_WRONG = 'not-the-password';
  spec.mailboxes[1].destination.credential = 'env:PLAN_TEST_WRONG';
  const run = await mailshift('plan', specFile('plan-bad.json', spec), '--json');
  expect(run.code).toBe(1);
  const plan = JSON.parse(run.stdout);
  expect(plan.mailboxes.map((m: { mailbox: string; ok: boolean }) => [m.mailbox, m.ok])).toEqual([
    ['alice', true],
    ['bob', false],
    ['carol', true],
  ]);
  expect(plan.mailboxes[1].error).toMatch(/host2.*bob|bob.*host2/);
  expect(run.stdout).not.toContain('not-the-password');
});

it('the size table gives each mailbox its sizes, host2 quota free, append limit and verdict in numbers', () => {
  const MiB = 1024 * 1024;
  const audit = { host1Messages: 10, toCopyMessages: 10, messageQuota: undefined };
  expect(
    sizeTable([
      {
        mailbox: 'alice',
        size: {
          ...audit,
          host1Bytes: 2 * MiB,
          largest: MiB,
          toCopyBytes: 2 * MiB,
          largestToCopy: MiB,
          quota: null,
          appendLimit: null,
          fits: true,
          reasons: [],
        },
      },
      { mailbox: 'bob' },
      {
        mailbox: 'carol',
        size: {
          ...audit,
          host1Bytes: 31 * MiB,
          largest: 30 * MiB,
          toCopyBytes: 31 * MiB,
          largestToCopy: 30 * MiB,
          quota: { limit: 40 * MiB, usage: 30 * MiB },
          appendLimit: 25 * MiB,
          fits: false,
          reasons: ['needs 31.0 MiB, host2 quota leaves 10.0 MiB', 'largest message 30.0 MiB, host2 accepts at most 25.0 MiB'],
        },
      },
    ]),
  ).toEqual([
    'mailbox  host1 size  largest   to copy   host2 quota free  append limit  verdict',
    'alice    2.0 MiB     1.0 MiB   2.0 MiB   no quota          none          fits',
    'carol    31.0 MiB    30.0 MiB  31.0 MiB  10.0 MiB          25.0 MiB      DOES NOT FIT: needs 31.0 MiB, host2 quota leaves 10.0 MiB; largest message 30.0 MiB, host2 accepts at most 25.0 MiB',
  ]);
});
