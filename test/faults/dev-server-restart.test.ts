// The Temporal server crashes (SIGKILL) and comes back on the same port with the same
// database file, twice in one classical migration: during the durable timer that waits
// out the old TTL, and during the pre-sync's copy of a mailbox. The migration is still
// there (same run, same phase, status and audit), the timer fires on time, the copy that
// was running in the worker carries on and is accepted, and host2 ends with exactly
// host1's messages.
//
// Everything is real: a dev server this file owns (test/faults/dev-server.ts: the product's
// launcher with --db-filename, so it can be killed and restarted, which
// TestWorkflowEnvironment cannot), the worker as its own process (it must reconnect by
// itself), Dovecot, Knot and SMTP. Time is not skipped, so the spec is brisk within the
// product's limits: a 45 s MX TTL lowered to 30 s, the migration hour 50 s ahead (past by
// the time the pre-sync ends, so gate cutover opens right after it), and host2
// behind a 1 MB/s proxy so that the copy (300 messages, ten of 1.5 MB) lasts ~15 s, long
// enough to crash the server in its middle. The test stops at gate `cutover`: everything
// after it is covered by test/e2e/dev-server-real.test.ts. About 70 s.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { isAlive } from '../../scripts/servers/process';
import { startSmtpReceiver, type SmtpReceiver } from '../../scripts/servers/smtp';
import { devServerAnswers } from '../../scripts/servers/temporal-dev';
import type { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { MIGRATION_PHASE } from '../../workflows/search-attributes';
import { startRestartableDevServer, type RestartableDevServer } from './dev-server';
import { activityAttempts, countMessages, seedBulk, startMailWorld, startThrottle, type MailWorld, type Throttle } from './world';
import { startWorkerProcess, type WorkerProcess } from '../../scripts/servers/worker-process';

jest.setTimeout(240_000);

const TOTAL = 300;
const OLD_TTL = 45;
const taskQueue = `faults-devserver-${randomUUID()}`;
const workflowId = `faults-devserver-${randomUUID()}`;
let w: MailWorld;
let dev: RestartableDevServer;
let worker: WorkerProcess;
let knot: KnotServer;
let smtp: SmtpReceiver;
let throttle: Throttle;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  w = await startMailWorld();
  dev = await startRestartableDevServer();
  // Started first: it bundles the workflows while the rest starts and host1 is seeded.
  worker = startWorkerProcess({ address: dev.address, taskQueue, log: path.join(w.dir, 'worker.log') });
  const records = `@ ${OLD_TTL} IN MX 10 mail1.example.test.\nmail1 ${OLD_TTL} IN A 127.0.0.1\nmail2 ${OLD_TTL} IN A 127.0.0.2\n`;
  knot = await startKnot({ dir: path.join(w.dir, 'dns'), zone: 'example.test', records });
  smtp = await startSmtpReceiver();
  throttle = await startThrottle(w.host2.port, 1024 * 1024);
  connection = await Connection.connect({ address: dev.address });
  client = new Client({ connection });
  // alice's INBOX: 290 small messages and ten of about 1.5 MB.
  await seedBulk(w.host1, 'alice', w.passwords['host1-alice'], { folder: 'INBOX', count: TOTAL, largeEvery: 30 });
});

afterAll(async () => {
  const quietly = (p: Promise<unknown> | undefined) => p?.catch(() => undefined);
  if (client) await quietly(client.withDeadline(Date.now() + 10_000, () => client.workflow.getHandle(workflowId).terminate('test over')));
  await quietly(worker?.kill());
  await quietly(connection?.close());
  await quietly(dev?.stop());
  await quietly(throttle?.close());
  await quietly(smtp?.close());
  await quietly(knot?.stop());
  await quietly(w?.stop());
});

type Migration = WorkflowHandle<typeof classicalMigration>;

const workerLog = () => `\nworker log:\n${worker.output().slice(-3000)}`;

/** The status query, retried while the server or the worker is not answering yet. */
async function status(handle: Migration, timeoutMs = 60_000): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.withDeadline(Date.now() + 10_000, () => handle.query(statusQuery));
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the status query got no answer within ${timeoutMs} ms: ${(err as Error).message}${workerLog()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Polls the status until `ready`; fails at once if the migration stops running. */
async function until(handle: Migration, what: string, ready: (s: MigrationStatus) => boolean, timeoutMs: number): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(handle);
    if (ready(s)) return s;
    const { status: state } = await handle.describe();
    if (state.name !== 'RUNNING') throw new Error(`the migration is ${state.name} (phase ${s.phase}) while waiting for ${what}${workerLog()}`);
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms; phase ${s.phase}${workerLog()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Crashes the server and brings it back; checks it really was down in between. */
async function crashAndRestart(): Promise<number> {
  const started = Date.now();
  const oldPid = dev.pid;
  await dev.kill();
  expect(await devServerAnswers(dev.address)).toBe(false);
  await dev.restart();
  expect(dev.pid).not.toBe(oldPid);
  return Date.now() - started;
}

/** What an operator sees of the migration, apart from the per-round progress. */
const seen = (s: MigrationStatus) => ({
  phase: s.phase,
  openGate: s.openGate,
  nextTimer: s.nextTimer,
  rounds: s.rounds,
  mailboxes: s.mailboxes,
  audit: s.audit,
});

it('a migration survives its Temporal server crashing during a durable timer and during a copy', async () => {
  const t0 = Date.now();
  const spec = w.specInput(new Date(Date.now() + 50_000), { dnsPort: knot.port, tsigKeyFile: knot.keyFile, smtpPort: smtp.port, host2Port: throttle.port });
  spec.dns.lowTtl = 30;
  spec.dns.restoreTtl = 300;
  const handle = await client.workflow.start<typeof classicalMigration>('classicalMigration', { taskQueue, workflowId, args: [spec] });

  await until(handle, 'gate start', (s) => s.openGate === 'start', 120_000);
  await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: 'fault test' }] });

  // ---- 1. The server crashes while the runbook waits out the old TTL (a 45 s timer).
  const inTimer = await until(handle, 'the old-TTL timer', (s) => s.nextTimer?.what === 'the old TTL to run out', 60_000);
  expect(inTimer.phase).toBe('waiting out the old TTL');
  const firstOutageMs = await crashAndRestart();

  // Still there: the same run, its phase in the search attributes, the same status and audit.
  const described = await handle.describe();
  expect(described.status.name).toBe('RUNNING');
  expect(described.runId).toBe(handle.firstExecutionRunId);
  expect(described.typedSearchAttributes.get(MIGRATION_PHASE)).toBe('waiting out the old TTL');
  const afterFirst = await status(handle);
  expect(seen(afterFirst)).toEqual(seen(inTimer));
  expect(afterFirst.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL']);
  // The crash hit the timer: it was still ahead when the server came back.
  expect(Date.parse(afterFirst.nextTimer!.at)).toBeGreaterThan(Date.now());

  // ---- 2. The server crashes while the pre-sync copies alice's mailbox (after the timer fired).
  const host2Count = () => countMessages(w.host2, 'alice', w.passwords['host2-alice'], 'INBOX');
  const copyDeadline = Date.now() + OLD_TTL * 1000 + 90_000;
  let atKill = 0;
  for (;;) {
    atKill = await host2Count();
    if (atKill > 0 && atKill < TOTAL) break;
    if (atKill >= TOTAL) throw new Error('the copy finished before the server could be crashed: slow the proxy down');
    if (Date.now() > copyDeadline) throw new Error(`the pre-sync copy never started${workerLog()}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  const secondOutageMs = await crashAndRestart();
  const atRestart = await host2Count();
  // The server came back while the copy was still going on in the worker.
  expect(atRestart).toBeLessThan(TOTAL);

  // The server still has the round and its running activity, in its first attempt.
  const parent = await handle.describe();
  expect(parent.status.name).toBe('RUNNING');
  const roundId = `${workflowId}/presync-2`;
  expect((parent.raw.pendingChildren ?? []).map((c) => c.workflowId)).toEqual([roundId]);
  const round = client.workflow.getHandle(roundId);
  const roundNow = await round.describe();
  expect(roundNow.status.name).toBe('RUNNING');
  expect((roundNow.raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name, attempt: a.attempt }))).toEqual([
    { type: 'syncMailbox', attempt: 1 },
  ]);

  // ---- It goes on: the pre-sync completes, the migration hour comes, gate cutover opens.
  const atCutover = await until(handle, 'gate cutover', (s) => s.openGate === 'cutover', 150_000);
  expect(atCutover.phase).toBe('waiting for cutover (friendly-users)');
  // The timer fired when it was due, not before (nor was it restarted by the crash).
  const presyncs = atCutover.rounds.filter((r) => r.kind === 'presync');
  expect(presyncs).toEqual([expect.objectContaining({ mailboxes: 3, failed: [], copied: TOTAL })]);
  expect(Date.parse(presyncs[0].startedAt)).toBeGreaterThanOrEqual(Date.parse(inTimer.nextTimer!.at));
  const history = (await handle.fetchHistory()).events ?? [];
  const ttlTimers = history.filter((e) => String(e.timerStartedEventAttributes?.startToFireTimeout?.seconds) === String(OLD_TTL));
  expect(ttlTimers).toHaveLength(1);
  const fired = history.filter((e) => e.timerFiredEventAttributes && String(e.timerFiredEventAttributes.startedEventId) === String(ttlTimers[0].eventId));
  expect(fired).toHaveLength(1);

  // The copy that was running at the crash was accepted: one attempt, every message copied once.
  expect(atCutover.mailboxes.alice.last).toMatchObject({ kind: 'presync', ok: true, copied: TOTAL });
  expect(activityAttempts(await round.fetchHistory())).toEqual([1, 1, 1]);
  const cmp = await w.compare('alice');
  expect(cmp.missing).toEqual([]);
  expect(cmp.extra).toEqual([]);
  expect(cmp.source).toBe(TOTAL);
  expect(cmp.destination).toBe(TOTAL);

  // One worker process throughout: it reconnected by itself both times.
  expect(isAlive(worker.pid)).toBe(true);
  console.log(
    `dev-server-restart: outages ${firstOutageMs} ms (timer) and ${secondOutageMs} ms (copy at ${atKill}/${TOTAL}, ${atRestart} at restart); ` +
      `gate cutover after ${Math.round((Date.now() - t0) / 1000)} s`,
  );
});
