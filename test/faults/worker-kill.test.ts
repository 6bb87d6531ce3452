// SIGKILL the real worker process in the middle of a folder copy (hundreds of messages,
// some of them 1.5 MB), start a new worker process: the round completes and host2 holds
// exactly host1's messages, none missing, none twice (Message-ID, size, bytes, flags,
// internal date). A real dev server; host2 is reached through a bandwidth-limited proxy so
// that the copy lasts long enough to be killed in its middle.
//
// Slow by design: the server notices the dead worker only when the activity's heartbeat
// timeout (2 minutes, workflows/mailbox-round.ts) expires, then retries after the retry
// policy's 30 s initial interval. This file takes about three minutes.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connect } from '../imap/corpus';
import { createLocalEnv } from '../harness/temporal';
import type { mailboxRound } from '../../workflows/mailbox-round';
import { activityAttempts, countMessages, seedBulk, startMailWorld, startThrottle, type MailWorld, type Throttle } from './world';
import { startWorkerProcess, type WorkerProcess } from '../../scripts/servers/worker-process';

jest.setTimeout(420_000);

const TOTAL = 300;
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

it('a worker killed mid-copy leaves nothing missing and nothing twice once another worker takes over', async () => {
  const started = Date.now();
  const taskQueue = `faults-kill-${randomUUID()}`;
  const spawnWorker = (n: number) => {
    const p = startWorkerProcess({ address: env.address, taskQueue, log: path.join(w.dir, `worker-${n}.log`) });
    workers.push(p);
    return p;
  };
  const first = spawnWorker(1);
  const spec = w.spec({ host2Port: throttle.port });
  const handle = await env.client.workflow.start<typeof mailboxRound>('mailboxRound', {
    taskQueue,
    workflowId: `faults-kill-${randomUUID()}`,
    args: [{ spec, kind: 'presync', mailboxes: ['alice'], usersOnHost2: [], mxOnHost2: false }],
  });

  // Kill once host2 has some, not all, of the messages.
  const host2Count = () => countMessages(w.host2, 'alice', w.passwords['host2-alice'], 'INBOX');
  let atKill = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    atKill = await host2Count();
    if (atKill > 0 && atKill < TOTAL) break;
    if (atKill >= TOTAL) throw new Error('the copy finished before the worker could be killed: slow the proxy down');
    if (Date.now() > deadline) throw new Error(`no copy started within 2 minutes; worker log:\n${first.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  await first.kill();
  const killedAt = Date.now();
  // Really dead: nothing more arrives.
  await new Promise((r) => setTimeout(r, 3000));
  const afterKill = await host2Count();
  expect(afterKill).toBeGreaterThan(0);
  expect(afterKill).toBeLessThan(TOTAL);

  spawnWorker(2);
  const outcomes = await handle.result();
  const resumedAfterMs = Date.now() - killedAt;

  expect(outcomes).toEqual([expect.objectContaining({ mailbox: 'alice', ok: true })]);
  // The retried attempt copied only what the killed one had not.
  expect(outcomes[0].copied).toBe(TOTAL - afterKill);

  // The activity really ran twice (the second attempt on the new worker).
  const history = await handle.fetchHistory();
  const attempts = activityAttempts(history);
  expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);

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
  console.log(`worker-kill: killed at ${atKill}/${TOTAL} on host2 (${afterKill} after), resumed and finished ${Math.round(resumedAfterMs / 1000)} s after the kill; test ${Math.round((Date.now() - started) / 1000)} s`);
});
