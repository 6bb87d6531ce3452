// What the classical runbook tells whom, and in which order, rendered with the real
// templates: the data the workflow gives each notice must make honest mail.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { renderNotice } from '../../activities/notify/render';
import type { NoticeKind } from '../../activities/notify/schema';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { createTimeSkippingEnv } from '../harness/temporal';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const HOUR = 3_600_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

interface Sent {
  notice: NoticeKind;
  to: string[];
  data: Record<string, string>;
}

it('tells users and approvers what is true, in an order that makes sense', async () => {
  const world = fakeWorld([mx]);
  world.syncDelayMs = 1_500; // a pre-sync takes a measurable time
  const worker = await startWorker(env, world);
  try {
    const migrationAt = new Date((await env.currentTimeMs()) + 2 * 86_400_000);
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `notices-${randomUUID()}`,
      args: [demoSpec('classical', migrationAt)],
    });
    await approveWhenOpen(env, handle, 'start');
    // The old TTL's wait is a phase of its own, not "lowering TTL" for a day.
    const waiting = await until(env, handle, (s) => s.nextTimer?.what === 'the old TTL to run out');
    expect(waiting.phase).toBe('waiting out the old TTL');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    const cutAt = await env.currentTimeMs();
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await handle.result()).outcome).toBe('completed');

    const sent = world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input as Sent);
    const to = (address: string) => sent.filter((n) => n.to.includes(address));
    // Each user: the new settings before the notice that points to them.
    for (const user of ['alice', 'bob', 'carol']) {
      expect(to(`${user}@home.example.test`).map((n) => n.notice)).toEqual([
        'users-advance',
        // alice's wave goes first: her next message waits for the later waves' gates.
        user === 'alice' ? 'users-cutover-early' : 'users-cutover',
        'users-new-credentials',
        'users-old-server-gone',
        'users-done',
      ]);
    }
    const rendered = await Promise.all(sent.map(async (n) => ({ ...n, ...(await renderNotice(n.notice, n.data)) })));
    const one = (kind: NoticeKind) => rendered.find((n) => n.notice === kind)!;

    // Nothing is measured when the advance notice goes out: it gives no duration.
    expect(one('users-advance').text).not.toMatch(/a few hours|takes about|for about/);
    // The cut-over notice: the measured pre-sync in words, and a deadline that leaves a margin.
    const early = rendered.find((n) => n.notice === 'users-cutover-early')!;
    expect(early.to).toEqual(['alice@home.example.test']);
    expect(early.text).toMatch(/This takes about\s+a minute\./);
    expect(early.text).toMatch(/Other groups of users move after you/);
    expect(early.text).not.toMatch(/If you have not heard from us by/);
    const cutover = rendered.find((n) => n.notice === 'users-cutover' && n.to.includes('bob@home.example.test'))!;
    expect(cutover.text).toMatch(/This takes about\s+a minute\./);
    expect(Date.parse(cutover.data.expectedEnd) - cutAt).toBeGreaterThanOrEqual(HOUR);
    expect(Date.parse(cutover.data.expectedEnd) - cutAt).toBeLessThan(3 * HOUR);
    expect(one('users-old-server-gone').text).not.toMatch(/switched off/);

    // The approvers: every gate named, each cut-over gate with its wave.
    expect(rendered.filter((n) => n.to.includes('operator@example.test')).map((n) => n.subject)).toEqual([
      '[mailshift] sandbox-classical: the "start" gate is waiting for your approval',
      '[mailshift] sandbox-classical: the "cutover" gate of wave friendly-users is waiting for your approval',
      '[mailshift] sandbox-classical: the "cutover" gate of wave everyone is waiting for your approval',
      '[mailshift] sandbox-classical: the "switch-mx" gate is waiting for your approval',
    ]);
  } finally {
    await worker.stop();
  }
});
