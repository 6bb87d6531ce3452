// The operator's controls: reminders at a gate that waits, pause and resume, and what
// is refused (and written to the audit log).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Runtime } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate, pauseSignal, resumeSignal, rollbackUpdate } from '../../workflows/gates';
import { entriesWritten } from '../../workflows/audit-log';
import { statusQuery } from '../../workflows/status';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startAnnounced, startWorker, until } from './harness';

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
  await until(env, handle, startAnnounced);
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
    // Until the TTL wait (a timer): terminating while an activity runs stalls the time-skipping server.
    const s = await until(env, handle, (st) => st.phase === 'waiting out the old TTL' && !!st.nextTimer);
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

it('a rollback asked at gate dns-conflict still overwrites the other change only once a person approves it', async () => {
  const { world, worker, handle } = await started();
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await until(env, handle, (s) => s.openGate === 'switch-mx');
    // Someone else points the MX at a backup host meanwhile.
    const theirs = { ...world.records.get('example.test./MX')!, values: ['20 backup.example.test.'] };
    world.records.set('example.test./MX', theirs);
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'switch-mx', by: 'operator' }] });
    const atConflict = await until(env, handle, (s) => s.openGate === 'dns-conflict');
    expect(atConflict.phase).toBe('waiting for dns-conflict (switch MX)');
    expect(atConflict.conflict).toMatch(/example\.test\. MX .*someone else changed it/);
    expect(world.records.get('example.test./MX')).toEqual(theirs);

    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'who changed the MX?' }] });
    // Rolling back would overwrite their record too: that waits for its own approval.
    const inRollback = await until(env, handle, (s) => s.phase === 'waiting for dns-conflict (rollback)');
    expect(inRollback.openGate).toBe('dns-conflict');
    await env.sleep('1 day');
    expect(world.records.get('example.test./MX')).toEqual(theirs);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'dns-conflict', by: 'operator', comment: 'the backup MX was a test' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.records.get('example.test./MX')).toEqual(mx);
    expect(report.audit.filter((e) => e.kind === 'dns-conflict').map((e) => (e as { step: string }).step)).toEqual(['switch MX', 'rollback']);
  } finally {
    await worker.stop();
  }
});

it('writes a refused Update to the audit log, and its error is not retryable', async () => {
  const { worker, handle } = await started();
  try {
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'accepted',
        (err: unknown) => (err instanceof WorkflowUpdateFailedError ? err.cause : err),
      );
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'mallory', comment: 'let me in' }] }))).toMatchObject({
      type: 'Refused',
      nonRetryable: true,
      message: '"mallory" is not an allowed approver of this migration',
    });
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ gate: 'cutover', by: 'operator' }] }))).toMatchObject({
      type: 'Refused',
      nonRetryable: true,
      message: 'gate "cutover" is not open; the open gate is "start"',
    });
    expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'mallory', comment: 'why not' }] }))).toMatchObject({
      type: 'Refused',
      nonRetryable: true,
    });
    // A malformed request names the field and what is wrong with it.
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: 42 as never }] }))).toMatchObject({
      type: 'Refused',
      nonRetryable: true,
      message: '"comment" must be text, not a number',
    });
    const s = await handle.query(statusQuery);
    expect(s.openGate).toBe('start'); // nothing was taken
    expect(s.audit.filter((e) => e.kind === 'refused')).toEqual([
      expect.objectContaining({ what: 'approve', by: 'mallory', via: 'update', reason: '"mallory" is not an allowed approver of this migration' }),
      expect.objectContaining({ what: 'approve', by: 'operator', via: 'update', reason: 'gate "cutover" is not open; the open gate is "start"' }),
      expect.objectContaining({ what: 'rollback', by: 'mallory', via: 'update', reason: '"mallory" is not an allowed approver of this migration' }),
      expect.objectContaining({ what: 'approve', by: 'operator', via: 'update', reason: '"comment" must be text, not a number' }),
    ]);
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it('a signal of an unknown name is refused and written to the audit log; a reserved name neither takes anything nor stops the migration', async () => {
  const { worker, handle } = await started();
  try {
    await handle.signal('Approve', { gate: 'start', by: 'operator', comment: 'kept nowhere' }); // a typo in the UI's Signal dialog
    await handle.signal('__temporal_approve', { gate: 'start', by: 'operator' }); // a name the SDK reserves
    await handle.signal(pauseSignal, { by: 'operator' }); // handled after both: they were taken before it
    // A stuck workflow answers neither a query nor an update: give up after 10 s.
    const promptly = <T>(fn: () => Promise<T>) => env.client.withDeadline(Date.now() + 10_000, fn);
    const s = await promptly(() => until(env, handle, (st) => st.paused, 2));
    expect(s.openGate).toBe('start'); // nothing was taken
    const refused = s.audit.filter((e) => e.kind === 'refused');
    expect(refused).toEqual([
      {
        at: expect.any(String),
        kind: 'refused',
        what: 'Approve',
        by: 'operator',
        reason: 'unknown signal "Approve": send approve, rollback, pause or resume',
        via: 'signal',
      },
    ]);
    expect(JSON.stringify(s.audit)).not.toContain('__temporal_');
    expect(JSON.stringify(s.audit)).not.toContain('kept nowhere');
    // The runbook still runs its workflow tasks: an approval is taken and it goes on.
    await handle.signal(resumeSignal, { by: 'operator' });
    await promptly(() => handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator' }] }));
    await until(env, handle, (st) => st.phase === 'waiting out the old TTL' && !!st.nextTimer, 48);
    const failed = ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
    expect(failed).toEqual([]);
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it('a workflow task that brings only a signal of a reserved name completes, with nothing to do', async () => {
  const { worker, handle } = await started();
  try {
    await handle.signal('__temporal_approve', { gate: 'start', by: 'operator' });
    const { EventType } = temporal.api.enums.v1;
    const types = async () => ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
    let events = await types();
    for (let i = 0; i < 20 && events.at(-1) !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED; i++) {
      await new Promise((r) => setTimeout(r, 250));
      events = await types();
    }
    // The signal, then a workflow task of its own that completed and commanded nothing.
    expect(events.slice(events.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    ]);
    expect(events).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    const s = await handle.query(statusQuery);
    expect([s.openGate, s.audit.some((e) => e.kind === 'refused')]).toEqual(['start', false]);
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it("a flood of signals of unknown names leaves the status small: the audit log counts what it leaves out, the worker's log samples it (and the signals of a reserved name it drops)", async () => {
  const { worker, handle } = await started();
  const logged = jest.spyOn(Runtime.instance().logger, 'log');
  try {
    const before = await handle.query(statusQuery);
    const N = 500;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) =>
          handle.signal(`unknown-${i + k}-${'n'.repeat(1_000)}`, { by: `mallory-${'m'.repeat(1_000)}`, junk: 'j'.repeat(10_000) }),
        ),
      );
    }
    // And 100 of a reserved name, dropped unread (before the last: signals are taken in order).
    await Promise.all(Array.from({ length: 100 }, (_, k) => handle.signal(`__temporal_flood-${k}`, { by: 'mallory' })));
    await handle.signal('unknown-last', { by: 'mallory' });
    let s = await handle.query(statusQuery);
    for (let i = 0; i < 60 && entriesWritten(s) < before.audit.length + N + 1; i++) {
      await new Promise((r) => setTimeout(r, 500));
      s = await handle.query(statusQuery);
    }
    expect(entriesWritten(s)).toBe(before.audit.length + N + 1);
    expect(JSON.stringify(s).length).toBeLessThan(250_000);
    expect(JSON.stringify(s)).not.toContain('jjjj');
    const refused = s.audit.filter((e) => e.kind === 'refused');
    expect(refused.length).toBeLessThanOrEqual(30);
    expect(refused.at(-1)).toMatchObject({
      what: 'unknown-last',
      by: 'mallory',
      reason: 'unknown signal "unknown-last": send approve, rollback, pause or resume',
    });
    expect(refused[0].what).toMatch(/^unknown-\d+-n+…\(\+\d+ chars\)$/);
    expect(refused[0].what.length).toBeLessThanOrEqual(200);
    expect(s.auditOmitted).toMatchObject({ entries: N + 1 - refused.length, kinds: { refused: N + 1 - refused.length } });
    expect(s.openGate).toBe('start');
    // The worker's log has the first ten refusals, then every hundredth, each with the count so far
    // (a workflow task run again logs its refusals again: the counts are the same).
    const counts = (message: string, field: string) => {
      const calls = logged.mock.calls.filter(([, m, meta]) => m === message && meta?.workflowId === handle.workflowId);
      return [...new Set(calls.map(([, , meta]) => Number(meta![field])))].sort((a, b) => a - b);
    };
    expect(counts('refused signal', 'refusalsSoFar')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 200, 300, 400, 500]);
    expect(counts('dropped a signal of a reserved name', 'droppedSoFar')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]);
    await handle.terminate('test done');
  } finally {
    logged.mockRestore();
    await worker.stop();
  }
}, 120_000);

it('a gate is open, and takes its approval, while the notice that announces it is still being sent', async () => {
  const world = fakeWorld([mx]);
  let mailDown = true;
  world.fail.sendNotice = (n: { notice: string }) => {
    if (mailDown && n.notice === 'approver-gate-waiting') throw new Error('the SMTP relay is down');
  };
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 5 * 86_400_000));
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `controls-${randomUUID()}`, args: [spec] });
    let open = await handle.query(statusQuery).catch(() => undefined);
    for (let i = 0; i < 60 && !open?.phase.startsWith('waiting for start'); i++) {
      await env.sleep('5 seconds');
      open = await handle.query(statusQuery).catch(() => undefined);
    }
    expect(open?.phase).toBe('waiting for start');
    if (!open) return;
    expect(open.openGate).toBe('start');
    // The notice is still being retried: nothing says it failed yet.
    expect(open.audit.some((e) => e.kind === 'notice-failed')).toBe(false);
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator' }] });
    mailDown = false;
    await until(env, handle, (s) => s.phase === 'waiting out the old TTL' && !!s.nextTimer);
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});
