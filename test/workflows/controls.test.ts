// The operator's controls: reminders at a gate that waits, pause and resume.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate, pauseSignal, resumeSignal } from '../../workflows/gates';
import { statusQuery } from '../../workflows/runbook';
import { fakeWorld } from './fakes';
import { startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

async function started() {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 5 * 86_400_000));
  const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `controls-${randomUUID()}`, args: [spec] });
  await until(env, handle, (s) => s.openGate === 'start');
  return { world, worker, handle };
}

it('reminds the approvers when a gate has waited longer than remindAfterHours', async () => {
  const { world, worker, handle } = await started();
  try {
    const notices = () => world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input);
    expect(notices().map((n) => n.notice)).toEqual(['approver-gate-waiting']);
    await env.sleep('3 hours');
    expect(notices().filter((n) => n.notice === 'approver-gate-reminder')).toHaveLength(0);
    await env.sleep('2 hours'); // 5 h > the default 4 h
    const reminders = notices().filter((n) => n.notice === 'approver-gate-reminder');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({ to: ['operator@example.test'], data: { gate: 'start', waitedHours: '4' } });
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it('pause holds the runbook before its next step; resume lets it go on', async () => {
  const { world, worker, handle } = await started();
  try {
    await handle.signal(pauseSignal, { by: 'operator', comment: 'waiting for the help desk' });
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator' }] });
    await env.sleep('2 days');
    const paused = await handle.query(statusQuery);
    expect(paused.paused).toBe(true);
    expect(world.calls.some((c) => c.name === 'readRecords')).toBe(false); // the TTL step did not start
    await handle.signal(resumeSignal, { by: 'operator' });
    const s = await until(env, handle, (st) => st.phase === 'lowering TTL');
    expect(s.paused).toBe(false);
    expect(s.audit.filter((e) => e.kind === 'control').map((e) => (e as { action: string }).action)).toEqual(['pause', 'resume']);
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it('a bad spec started from the UI (no CLI validation) fails at once, listing its problems, before any activity', async () => {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('classical', new Date((await env.currentTimeMs()) - 3_600_000)); // an hour ago
    spec.mailboxes[0].source.credential = 'hunter2';
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `bad-${randomUUID()}`, args: [spec] });
    const err = (await handle.result().catch((e: unknown) => e)) as { cause?: { message?: string; type?: string } };
    expect(err.cause?.type).toBe('InvalidSpec');
    expect(err.cause?.message).toContain('mailboxes[0].source.credential');
    expect(err.cause?.message).toContain('schedule.migrationAt');
    expect(err.cause?.message).not.toContain('hunter2');
    expect(world.calls).toEqual([]);
  } finally {
    await worker.stop();
  }
});
