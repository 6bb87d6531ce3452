// A whole lucky migration with the REAL activities against real servers: same host name
// and credentials on both sides, syncs by address, and at the end the IMAP host name's
// A record moves to host2 in Knot. Time skipped by the test server.
import { Worker } from '@temporalio/worker';
import * as activities from '../../activities';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { luckyMigration } from '../../workflows/lucky-migration';
import { dig } from '../dns/dig';
import { approveWhenOpen, workflowBundle } from '../workflows/harness';
import { canLogIn, isCanary, messages, startRealWorld, type RealWorld } from './real-world';
import { noticesTo, spokenTime } from './received-notices';

jest.setTimeout(240_000);
let w: RealWorld;
beforeAll(async () => {
  w = await startRealWorld();
});
afterAll(() => w?.stop());

it('moves the mail and then the IMAP host name, and tells users their mail app will re-download', async () => {
  const { host1, host2, knot, smtp, env, passwords, servers } = w;
  const before = Object.fromEntries(await Promise.all(demoUsers.map(async (u) => [u, await messages(host1, u, passwords[`host1-${u}`])] as const)));
  const taskQueue = 'e2e-lucky';
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const spec = demoSpec('lucky', new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers);

  const ttlBefore = { a: (await dig(knot.port, 'imap.example.test', 'A')).ttl, mx: (await dig(knot.port, 'example.test', 'MX')).ttl };
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(luckyMigration, { taskQueue, workflowId: 'e2e-lucky', args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    const cutAt = await env.currentTimeMs(); // the first wave's cut-over notice goes out now
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await dig(knot.port, 'imap.example.test', 'A')).values).toEqual(['127.0.0.1']); // not moved before shutdown-old
    await approveWhenOpen(env, handle, 'shutdown-old');
    const report = await handle.result();

    expect(report.outcome).toBe('completed');
    expect(report.rounds.flatMap((r) => r.failed)).toEqual([]);
    for (const u of demoUsers) {
      const onHost2 = await messages(host2, u, passwords[`host2-${u}`]);
      expect(onHost2.filter((m) => !isCanary(m))).toEqual(before[u]);
      // The canary went through mx2 (Postfix) straight into host2, once.
      expect(onHost2.filter(isCanary).length).toBe(u === 'alice' ? 1 : 0);
      expect(await canLogIn(host1, u, passwords[`host1-${u}`])).toBe(false);
    }
    // Moved, with the TTLs they had before the migration.
    expect(await dig(knot.port, 'imap.example.test', 'A')).toMatchObject({ ttl: ttlBefore.a, values: ['127.0.0.2'] });
    expect(await dig(knot.port, 'example.test', 'MX')).toMatchObject({ ttl: ttlBefore.mx, values: [expect.stringMatching(/^10 mail2\.example\.test\.?$/)] });
    const steps = report.audit.filter((e) => e.kind === 'dns').map((e) => e.step);
    expect(steps.indexOf('switch MX')).toBeLessThan(steps.indexOf('move the IMAP host name to host2'));
    // What each user really received, in order: same settings, so no new ones; the re-download explained.
    for (const u of demoUsers) {
      const got = noticesTo(smtp, `${u}@home.example.test`);
      expect(got.map((n) => n.subject)).toEqual([
        expect.stringMatching(/^Your email is moving to a new server on \w+day /),
        'Please stop using your email now: the move has started',
        'Your email program may download all your mail again: this is normal',
        'Your email move is complete',
      ]);
      const [advance, cutover] = got;
      expect(advance.text).not.toMatch(/takes about|for about|a few hours/);
      expect(cutover.text).toMatch(/This takes about (a minute|\d+ minutes|an hour( and a half)?|[\d.]+ hours|\d+ days)\./);
      const deadline = spokenTime(/If you have not heard from us by (.*?\)),/.exec(cutover.text)![1]);
      expect(deadline - cutAt).toBeGreaterThanOrEqual(3_600_000);
    }
    // One cut-over gate for every wave: named without one.
    expect(noticesTo(smtp, 'operator@example.test').map((n) => n.subject)).toEqual(
      ['start', 'cutover', 'switch-mx', 'shutdown-old'].map((g) => `[mailshift] sandbox-lucky: the "${g}" gate is waiting for your approval`),
    );
  });
});
