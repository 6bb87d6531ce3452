// Notices to many users do not grow the runbook's history per user: hand-over's one
// message per user and a notice to everyone (in messages of at most 200 recipients) go
// out in child workflows, each user exactly once (time-skipping server, activities faked).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const USERS = 600;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it(`hands ${USERS} users their new settings in child workflows, each user once`, async () => {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  try {
    const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 86_400_000));
    const template = base.mailboxes[0];
    const mailboxes = Array.from({ length: USERS }, (_, i) => ({
      ...template,
      source: { ...template.source, user: `user${i}` },
      destination: { ...template.destination, user: `user${i}` },
      wave: 'everyone',
      contact: `user${i}@home.example.test`,
    }));
    const workflowId = `notices-${randomUUID()}`;
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ ...base, mailboxes, sync: { concurrency: 50 } }],
    });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await handle.result()).outcome).toBe('completed');

    const sent = world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input as { notice: string; to: string[]; idempotencyKey: string });
    const credentials = sent.filter((n) => n.notice === 'users-new-credentials');
    expect(credentials).toHaveLength(USERS);
    expect(new Set(credentials.flatMap((n) => n.to)).size).toBe(USERS);
    expect(new Set(credentials.map((n) => n.idempotencyKey)).size).toBe(USERS);
    // A notice to everyone: messages of at most 200 recipients, each user in exactly one.
    const cutover = sent.filter((n) => n.notice === 'users-cutover');
    expect(cutover.map((n) => n.to.length)).toEqual([200, 200, 200]);
    expect(new Set(cutover.flatMap((n) => n.to)).size).toBe(USERS);

    // The runbook's own history (each of its runs): a few events per page of notices, not per user.
    const runs: number[] = [];
    for (let runId: string | undefined = (await handle.describe()).runId; runId;) {
      const events: { workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string | null } | null }[] = (
        await env.client.workflow.getHandle(workflowId, runId).fetchHistory()
      ).events!;
      runs.push(events.length);
      runId = events[0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    }
    console.log(`runbook history events per run: ${runs.join(', ')}`); // 3,797 in one run when each user was an activity of its own
    expect(Math.max(...runs)).toBeLessThan(1_000);
  } finally {
    await worker.stop();
  }
}, 240_000);
