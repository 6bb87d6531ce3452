// Long loops of the runbook continue-as-new and the migration carries on where it was:
// hourly pre-syncs for 9 days pass the runbook's history budget, and so do hourly
// back-fill rounds (mx-first) while mail still trickles in on host1.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { mxFirstMigration } from '../../workflows/mx-first-migration';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker } from './harness';

jest.setTimeout(240_000);
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it('hands the pre-sync loop over to a fresh run and finishes the migration from there', async () => {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 9 * 86_400_000));
    spec.schedule.presyncEveryHours = 1;
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `can-${randomUUID()}`, args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    const report = await handle.result();

    // The first run ended by continuing as new, and it was short.
    const first = await env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
    const events = first.events ?? [];
    expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(events.length).toBeLessThan(2_100);
    const current = await handle.describe();
    expect(current.runId).not.toBe(handle.firstExecutionRunId);

    // Nothing was lost or done twice across the runs.
    expect(report.outcome).toBe('completed');
    const presyncs = report.rounds.filter((r) => r.kind === 'presync');
    expect(presyncs.length).toBeGreaterThan(180); // ~8 days of hourly rounds after the 1-day TTL wait
    const hours = presyncs.map((r) => Date.parse(r.startedAt) / 3_600_000);
    for (let i = 1; i < hours.length; i++) expect(Math.round(hours[i] - hours[i - 1])).toBe(1);
    expect(report.audit.filter((e) => e.kind === 'approval').map((e) => (e as { gate: string }).gate)).toEqual(['start', 'cutover', 'cutover', 'switch-mx']);
    expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
    expect(world.records.get('example.test./MX')).toEqual({ ...mx, values: ['10 mail2.example.test.'] });
  } finally {
    await worker.stop();
  }
});

it('hands the back-fill loop (mx-first) over to a fresh run, which back-fills on without redoing what came before', async () => {
  const world = fakeWorld([mx]);
  // alice's back-fill copies a message every round for 220 rounds, then nothing.
  let aliceRounds = 0;
  world.syncCopies = (req) => (req.mailbox === 'alice' && aliceRounds++ < 220 ? 1 : 0);
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('mx-first', new Date((await env.currentTimeMs()) + 2 * 86_400_000));
    spec.schedule.presyncEveryHours = 1;
    const handle = await env.client.workflow.start(mxFirstMigration, { taskQueue: worker.taskQueue, workflowId: `can-${randomUUID()}`, args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'switch-mx');
    await approveWhenOpen(env, handle, 'close-old');
    const report = await handle.result();

    const first = await env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
    expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);

    expect(report.outcome).toBe('completed');
    const backfills = report.rounds.filter((r) => r.kind === 'backfill');
    expect(backfills.length).toBe(221);
    const hours = backfills.map((r) => Date.parse(r.startedAt) / 3_600_000);
    for (let i = 1; i < hours.length; i++) expect(Math.round(hours[i] - hours[i - 1])).toBe(1);
    // Summed across the runs; the continued run neither ran preflight again nor handed out host2 twice.
    expect(report.mailboxes.alice.backfilled).toBe(220);
    expect(world.calls.filter((c) => c.name === 'verifyMailbox').length).toBe(3);
    expect(world.calls.filter((c) => c.name === 'sendNotice' && c.input.notice === 'users-new-credentials').length).toBe(3);
    expect(report.audit.filter((e) => e.kind === 'approval').map((e) => (e as { gate: string }).gate)).toEqual(['start', 'switch-mx', 'close-old']);
    expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
    // Each back-fill sync got the state of the mailbox's previous one, across the hand-over too.
    expect(
      world.calls
        .filter((c) => c.name === 'syncMailbox')
        .slice(3)
        .every((c) => c.input.previous),
    ).toBe(true);
    expect(world.calls.filter((c) => c.name === 'syncMailbox').every((c) => !c.input.deleteOnDestination && !c.input.deleteOnSource)).toBe(true);
  } finally {
    await worker.stop();
  }
});
