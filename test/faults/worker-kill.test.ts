// Two real worker processes poll the task queue, as production runs several copies. SIGKILL
// the one running a folder copy in its middle (hundreds of messages, some of them 1.5 MB):
// the other one takes the copy over (the activity's second attempt starts) within 30 s of
// the kill, the round completes and host2 holds exactly host1's messages, none missing,
// none twice (Message-ID, size, bytes, flags, internal date). A real dev server; host2 is
// reached through a bandwidth-limited proxy so that the copy lasts long enough to be
// killed in its middle.
//
// The server notices the dead worker when the activity's heartbeat timeout (15 s,
// workflows/mailbox-round.ts) expires, then retries after the retry policy's 2 s initial
// interval: 12-17 s after the kill, as the worker sends heartbeats at least every 5 s, plus
// the server's timer latency (16.7-17.1 s measured). Under a minute.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { connect } from '../imap/corpus';
import { createLocalEnv } from '../harness/temporal';
import type { mailboxRound } from '../../workflows/mailbox-round';
import { activityAttempts, activityStarts, countMessages, seedBulk, startMailWorld, startThrottle, type MailWorld, type Throttle } from './world';
import { startWorkerProcess, type WorkerProcess } from '../../scripts/servers/worker-process';

jest.setTimeout(420_000);

const TOTAL = 300;
/** Issue 12: a dead worker's copy is taken over within this long. */
const TAKEOVER_MS = 30_000;
let w: MailWorld;
let env: TestWorkflowEnvironment;
let throttle: Throttle;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  w = await startMailWorld();
  throttle = await startThrottle(w.host2.port, 3 * 1024 * 1024);
  env = await createLocalEnv();
  // One folder: 290 small messages and ten of about 1.5 MB.
  await seedBulk(w.host1, 'alice', w.passwords['host1-alice'], { folder: 'INBOX', count: TOTAL, largeEvery: 30 });
});

afterAll(async () => {
  for (const p of workers) await p.kill().catch(() => undefined);
  await env?.teardown();
  await throttle?.close();
  await w?.stop();
});

/** The identity the SDK gives a worker by default (WorkerOptions.identity). */
const identityOf = (p: WorkerProcess) => `${p.pid}@${hostname()}`;

async function waitForActivityPollers(taskQueue: string, expected: WorkerProcess[], timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await env.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const polling = new Set((r.pollers ?? []).map((p) => p.identity));
    if (expected.every((p) => polling.has(identityOf(p)))) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the workers are not polling after ${timeoutMs / 1000} s; logs:\n${expected.map((p) => `--- ${p.log}\n${p.output().slice(-2000)}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('a worker killed mid-copy: another worker takes the copy over within 30 s, nothing missing, nothing twice', async () => {
  const started = Date.now();
  const taskQueue = `faults-kill-${randomUUID()}`;
  const spawnWorker = (n: number) => {
    const p = startWorkerProcess({ address: env.address, taskQueue, log: path.join(w.dir, `worker-${n}.log`) });
    workers.push(p);
    return p;
  };
  const pair = [spawnWorker(1), spawnWorker(2)];
  // Both ready before the copy starts: the takeover measured is the server's, not a worker's start-up.
  await waitForActivityPollers(taskQueue, pair);
  const spec = w.spec({ host2Port: throttle.port });
  const handle = await env.client.workflow.start<typeof mailboxRound>('mailboxRound', {
    taskQueue,
    workflowId: `faults-kill-${randomUUID()}`,
    args: [{ spec, kind: 'presync', mailboxes: ['alice'], usersOnHost2: [], mxOnHost2: false }],
  });

  // Kill the worker running the copy once host2 has some, not all, of the messages.
  const host2Count = () => countMessages(w.host2, 'alice', w.passwords['host2-alice'], 'INBOX');
  const logs = () => pair.map((p) => `--- ${p.log}\n${p.output().slice(-2000)}`).join('\n');
  let atKill = 0;
  let runner: WorkerProcess | undefined;
  const deadline = Date.now() + 120_000;
  for (;;) {
    atKill = await host2Count();
    if (atKill > 0 && atKill < TOTAL) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      runner = pair.find((p) => pending[0]?.lastWorkerIdentity === identityOf(p));
      break;
    }
    if (atKill >= TOTAL) throw new Error('the copy finished before the worker could be killed: slow the proxy down');
    if (Date.now() > deadline) throw new Error(`no copy started within 2 minutes; worker logs:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  if (!runner) throw new Error(`no worker of ours runs the copy; worker logs:\n${logs()}`);
  const survivor = pair.find((p) => p !== runner)!;
  // From the signal on (kill() then waits for the process group to be gone).
  const killedAt = Date.now();
  await runner.kill();
  // Really dead: nothing more arrives.
  await new Promise((r) => setTimeout(r, 3000));
  const afterKill = await host2Count();
  expect(afterKill).toBeGreaterThan(0);
  expect(afterKill).toBeLessThan(TOTAL);

  const outcomes = await handle.result();
  const finishedAfterMs = Date.now() - killedAt;

  expect(outcomes).toEqual([expect.objectContaining({ mailbox: 'alice', ok: true })]);
  // The retried attempt copied only what the killed one had not.
  expect(outcomes[0].copied).toBe(TOTAL - afterKill);

  // The activity really ran twice, the second attempt on the surviving worker, started
  // within 30 s of the kill.
  const history = await handle.fetchHistory();
  expect(Math.max(...activityAttempts(history))).toBeGreaterThanOrEqual(2);
  const retried = activityStarts(history).find((s) => s.attempt >= 2)!;
  expect(retried.identity).toBe(identityOf(survivor));
  const takeoverMs = retried.at - killedAt;
  console.log(`worker-kill: attempt ${retried.attempt} started ${(takeoverMs / 1000).toFixed(1)} s after the kill`);
  expect(takeoverMs).toBeGreaterThan(0);
  expect(takeoverMs).toBeLessThan(TAKEOVER_MS);

  const cmp = await w.compare('alice');
  expect(cmp.missing).toEqual([]);
  expect(cmp.extra).toEqual([]);
  expect(cmp.source).toBe(TOTAL);
  expect(cmp.destination).toBe(TOTAL);

  // And no Message-ID twice on host2.
  const client = await connect(w.host2, 'alice', w.passwords['host2-alice']);
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const ids: string[] = [];
    for await (const m of client.fetch('1:*', { envelope: true })) ids.push(m.envelope?.messageId ?? '');
    expect(new Set(ids).size).toBe(TOTAL);
  } finally {
    await client.logout();
  }
  console.log(
    `worker-kill: killed at ${atKill}/${TOTAL} on host2 (${afterKill} after), taken over ${(takeoverMs / 1000).toFixed(1)} s and finished ${Math.round(finishedAfterMs / 1000)} s after the kill; test ${Math.round((Date.now() - started) / 1000)} s`,
  );
});
