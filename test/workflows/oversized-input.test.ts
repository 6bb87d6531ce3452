// Anyone who can send a signal or an update to a migration must not be able to kill,
// brick or bypass it with large input. On the real dev server: it enforces Temporal's
// size limits (an update's acceptance, a query's answer), the time-skipping server does
// not (it accepts a 2.5 MB update that terminates a migration on a real server). Activities are faked; the runbook reaches its first
// gate in real time within a second or two.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createLocalEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveSignal, approveUpdate, pauseSignal, rollbackUpdate } from '../../workflows/gates';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { entriesWritten } from '../../workflows/audit-log';
import { jsonBytes } from '../../workflows/payload-budget';
import { cli } from '../cli/capture';
import { fakeWorld } from './fakes';
import { startAnnounced, startWorker } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
beforeAll(async () => {
  env = await createLocalEnv();
  // Notices take a while, as real ones do: a gate is open before its announcement is written.
  worker = await startWorker(env, { ...fakeWorld([mx]), noticeDelayMs: 500 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

/** Polls the status query (real time) until `ready`; fails with the query's last error. */
async function untilStatus(handle: WorkflowHandle, ready: (s: MigrationStatus) => boolean, ms = 20_000): Promise<MigrationStatus> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const s = await handle.query(statusQuery);
      if (ready(s)) return s;
      last = `not ready: phase ${s.phase}, gate ${s.openGate}, ${entriesWritten(s)} audit entries written (${s.audit.length} kept)`;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`status not ready in ${ms} ms: ${last instanceof Error ? last.message : String(last)}`);
}

const started: WorkflowHandle[] = [];
async function atGateStart() {
  const spec = demoSpec('classical', new Date(Date.now() + 5 * 86_400_000));
  const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `oversized-${randomUUID()}`, args: [spec] });
  started.push(handle);
  await untilStatus(handle, startAnnounced);
  return handle;
}

/** An update's refusal (its failure), or what else it ended with. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    (answer) => ({ answer }),
    (err: unknown) => (err instanceof WorkflowUpdateFailedError ? err.cause : err),
  );

/**
 * Workflow tasks the worker failed (what oversized input would cause). The server's own
 * FORCE_CLOSE_COMMAND (17) is left out: on a loaded machine it may close a task in flight
 * while megabyte signals queue up, and the next task goes on (the tests check that it does).
 */
const FORCE_CLOSE_COMMAND = 17;
const failedTasks = async (handle: WorkflowHandle) =>
  ((await handle.fetchHistory()).events ?? [])
    .filter((e) => e.workflowTaskFailedEventAttributes && Number(e.workflowTaskFailedEventAttributes.cause) !== FORCE_CLOSE_COMMAND)
    .map((e) => String(e.workflowTaskFailedEventAttributes!.cause));

afterEach(async () => {
  // Each test's migration is left waiting at a gate: end it.
  for (const handle of started.splice(0)) await handle.terminate('test done').catch(() => undefined);
});

it('refuses an oversized approve or rollback Update before accepting it, naming the field and its limit; the migration goes on', async () => {
  const handle = await atGateStart();
  // Under Temporal's 2 MB payload limit: the sender is told why.
  const big = 'x'.repeat(1_900_000);
  const refused = (message: string) => ({ type: 'Refused', nonRetryable: true, message });
  expect(await outcome(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: big }] }))).toMatchObject(
    refused('"comment" is too long: 1900000 characters, at most 2000'),
  );
  expect(await outcome(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: big }] }))).toMatchObject(
    refused('"by" is too long: 1900000 characters, at most 200'),
  );
  expect(await outcome(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: big }] }))).toMatchObject(
    refused('"comment" is too long: 1900000 characters, at most 2000'),
  );
  // Whatever else an update carries is refused too: unknown fields, further arguments.
  expect(await outcome(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', notes: big } as never] }))).toMatchObject(
    refused('unknown field "notes": approve takes gate, by, comment, decision'),
  );
  expect(await outcome(handle.executeUpdate('approve', { args: [{ gate: 'start', by: 'operator' }, big] }))).toMatchObject(
    refused('approve takes one argument, not 2'),
  );
  // Over it, even the refusal (which carries the request) is too large for the server:
  // the sender gets an error, and the migration must not notice.
  expect(await outcome(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: 'x'.repeat(2_500_000) }] }))).toBeInstanceOf(
    Error,
  );

  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect(await failedTasks(handle)).toEqual([]);
  expect((await handle.query(statusQuery)).openGate).toBe('start'); // nothing was taken
  // Within the limits, the approval is taken.
  expect(await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: 'c'.repeat(2_000) }] })).toMatchObject({
    accepted: true,
  });
}, 60_000);

it('keeps refused signals with huge fields short in the audit log: status stays readable and the gate can still be approved', async () => {
  const handle = await atGateStart();
  for (let i = 0; i < 3; i++) await handle.signal(approveSignal, { gate: 'start', by: 'm'.repeat(1_000_000) });
  await handle.signal(pauseSignal, { by: 'operator', comment: 'c'.repeat(1_000_000) });

  const s = await untilStatus(handle, (st) => st.audit.filter((e) => e.kind === 'refused').length === 4);
  expect(jsonBytes(s)).toBeLessThan(20_000);
  const refusals = s.audit.filter((e) => e.kind === 'refused');
  for (const e of refusals.slice(0, 3)) {
    expect(e).toMatchObject({ what: 'approve', via: 'signal', reason: '"by" is too long: 1000000 characters, at most 200' });
    expect(e.by).toBe(`${'m'.repeat(183)}…(+999817 chars)`); // 199 characters
  }
  expect(refusals[3]).toMatchObject({ what: 'pause', by: 'operator', reason: '"comment" is too long: 1000000 characters, at most 2000' });
  expect(s.paused).toBe(false);

  expect(await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator' }] })).toMatchObject({ accepted: true });
  expect(await failedTasks(handle)).toEqual([]);
}, 60_000);

it('bounds the audit log under thousands of refused signals: the status stays small, the first and the latest entries stay', async () => {
  const handle = await atGateStart();
  const before = await handle.query(statusQuery);
  const N = 3_000;
  for (let i = 0; i < N - 1; i += 100) {
    const batch = Math.min(100, N - 1 - i);
    await Promise.all(Array.from({ length: batch }, (_, k) => handle.signal(approveSignal, { gate: 'start', by: `mallory-${i + k}-${'x'.repeat(1_000)}` })));
  }
  await handle.signal(approveSignal, { gate: 'start', by: 'mallory-last' });
  const s = await untilStatus(handle, (st) => entriesWritten(st) === before.audit.length + N, 60_000);

  expect(jsonBytes(s)).toBeLessThan(50_000);
  expect(s.audit.slice(0, before.audit.length)).toEqual(before.audit); // the migration's own first entries
  const refusals = s.audit.filter((e) => e.kind === 'refused');
  expect(refusals.length).toBeLessThanOrEqual(30);
  expect(refusals.at(-1)).toMatchObject({ by: 'mallory-last', reason: '"mallory-last" is not an allowed approver of this migration' }); // the latest is kept
  expect(refusals[0].by).toMatch(/^mallory-\d+-x+…\(\+\d+ chars\)$/);
  expect(s.auditOmitted).toMatchObject({ entries: N - refusals.length, kinds: { refused: N - refusals.length } });

  // The CLI shows what was left out, and still finds a pause in the bounded log.
  const run = cli({ client: env.client });
  const status = await run('status', handle.workflowId, '--audit', '2');
  expect(status.stdout).toMatch(
    new RegExp(
      `^audit log \\(last 2 of ${before.audit.length + N}\\):\n {2}\\(${N - refusals.length} entries written between \\S+ and \\S+ are left out of the log to keep it small: ${N - refusals.length} refused\\)$`,
      'm',
    ),
  );
  const paused = await run('pause', handle.workflowId, '--by', 'operator');
  expect([paused.code, paused.stdout]).toEqual([0, expect.stringMatching(/taken: .* pause +by operator/)]);

  // An approval after the flood is taken and shown.
  await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator' }] });
  const after = await untilStatus(handle, (st) => st.audit.some((e) => e.kind === 'approval'));
  expect(after.audit.find((e) => e.kind === 'approval')).toMatchObject({ gate: 'start', by: 'operator', via: 'update' });
}, 120_000);
