// A round whose many mailboxes the servers throttle again and again (Microsoft 365 at a
// large tenant) tells the runbook in batches, at most one signal per NOTICE_INTERVAL_MS
// plus one when the round (or a run of it) ends: the runbook's history stays bounded
// however many notices there are, and its status still says which mailboxes wait until
// when, at most an interval late (time-skipping server, activities faked).
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandleWithFirstExecutionRunId as WorkflowStartHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import type { SyncRequest } from '../../activities/imap/types';
import { classicalMigration } from '../../workflows/classical-migration';
import { mailboxQuery, statusQuery } from '../../workflows/status';
import { IMAP_THROTTLED } from '../../workflows/throttle';
import { NOTICE_BATCH_BYTES, NOTICE_INTERVAL_MS } from '../../workflows/throttle-notices';
import { mailboxThrottledSignal, type ThrottleNotice } from '../../workflows/throttled-mailboxes';
import { fakeWorld } from './fakes';
import { noticeListener } from './fixtures/notice-batches';
import { approveWhenOpen, startWorker, until } from './harness';

const MINUTE = 60_000;
const MAILBOXES = 100;
const THROTTLES = 4; // per mailbox, each asking for WAIT
const WAIT = 10 * MINUTE;
const mx = { name: 'example.test.', type: 'MX', ttl: 300, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

/** Every run of the workflow, first to last, following its continue-as-new chain. */
async function histories(handle: WorkflowStartHandle) {
  const runs = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runs.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

it(`a round of ${MAILBOXES} mailboxes throttled ${THROTTLES} times each signals the runbook a bounded number of times, and the status still says until when`, async () => {
  const world = fakeWorld([mx]);
  const throttles = new Map<string, number>();
  world.fail.syncMailbox = (r: SyncRequest) => {
    const n = throttles.get(r.mailbox) ?? 0;
    if (n >= THROTTLES) return;
    throttles.set(r.mailbox, n + 1);
    throw ApplicationFailure.create({
      message: `host2 mailbox ${r.mailbox}: throttled`,
      type: IMAP_THROTTLED,
      nonRetryable: true,
      details: [{ side: 'host2', mailbox: r.mailbox, retryAfterMs: WAIT, reason: `Request is throttled (${r.mailbox}, ${n + 1})` }],
    });
  };
  const worker = await startWorker(env, world);
  try {
    const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 5 * 86_400_000));
    const template = base.mailboxes[1];
    const mailboxes = Array.from({ length: MAILBOXES }, (_, i) => ({
      ...template,
      source: { ...template.source, user: `user${i}` },
      destination: { ...template.destination, user: `user${i}` },
    }));
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `throttle-notices-${randomUUID()}`,
      args: [{ ...base, mailboxes, sync: { concurrency: MAILBOXES } }],
    });
    await approveWhenOpen(env, handle, 'start');

    // Within an interval of their first throttle, every mailbox shows as waiting, with the server's words.
    while (!world.calls.some((c) => c.name === 'syncMailbox')) await env.sleep(MINUTE);
    const started = await env.currentTimeMs();
    let everyone = false;
    while (!everyone && (await env.currentTimeMs()) - started <= NOTICE_INTERVAL_MS + MINUTE) {
      await env.sleep(MINUTE / 2);
      const s = await handle.query(statusQuery);
      everyone = s.waves.reduce((n, w) => n + (w.throttled ?? 0), 0) === MAILBOXES;
    }
    expect(everyone).toBe(true);
    const m = await handle.query(mailboxQuery, `user${MAILBOXES - 1}`);
    expect(m?.throttleReason).toMatch(new RegExp(`Request is throttled \\(user${MAILBOXES - 1}, \\d\\)`));
    expect(Date.parse(m!.throttledUntil!)).toBeGreaterThan(started);

    const s = await until(env, handle, (st) => st.rounds.some((r) => r.kind === 'presync'));
    const round = s.rounds.find((r) => r.kind === 'presync')!;
    expect(round.failed).toEqual([]);
    expect(round.durationMs).toBeGreaterThanOrEqual(THROTTLES * WAIT);
    expect(world.calls.filter((c) => c.name === 'syncMailbox')).toHaveLength(MAILBOXES * (THROTTLES + 1));

    // The runbook heard of the throttles (MAILBOXES * THROTTLES of them) in a few signals:
    // one per interval of the round, one more when it ended, and one per run of the child.
    await handle.terminate('test done');
    const runs = await histories(handle);
    const signals = runs.flatMap((h) => h.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'mailboxThrottled');
    const child = runs.flatMap((h) => h.events ?? []).filter((e) => e.childWorkflowExecutionStartedEventAttributes).length;
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.length).toBeLessThanOrEqual(Math.ceil(round.durationMs / NOTICE_INTERVAL_MS) + 1 + child);
  } finally {
    await worker.stop();
  }
}, 120_000);

it('takes a batch and the single notice of a round started before batches, ignoring malformed entries', async () => {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 5 * 86_400_000));
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `throttle-forms-${randomUUID()}`,
      args: [spec],
    });
    await until(env, handle, (s) => s.openGate === 'start');
    const until_ = new Date((await env.currentTimeMs()) + 3_600_000).toISOString();
    await handle.signal(mailboxThrottledSignal, { mailbox: 'alice', until: until_, reason: 'one notice' });
    // Anyone can signal: entries of no mailbox, with no time, or of the wrong shape are left out.
    const junk = [null, 7, { mailbox: 'nobody', until: until_ }, { mailbox: 'carol', until: 'never' }, { mailbox: 'constructor', until: until_ }];
    await handle.signal(mailboxThrottledSignal, [...junk, { mailbox: 'bob', until: until_, reason: 'in a batch' }] as ThrottleNotice[]);
    await handle.signal(mailboxThrottledSignal, 'not a notice' as unknown as ThrottleNotice);
    const s = await handle.query(statusQuery);
    expect(s.mailboxes.alice).toMatchObject({ throttledUntil: until_, throttleReason: 'one notice' });
    expect(s.mailboxes.bob).toMatchObject({ throttledUntil: until_, throttleReason: 'in a batch' });
    expect(s.mailboxes.carol.throttledUntil).toBeUndefined();
    expect(s.openGate).toBe('start'); // still waiting, not failed
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it(`sends at once, then at most one batch of ${NOTICE_BATCH_BYTES / 1024} KB per interval, and what is left when the round ends`, async () => {
  const worker = await startWorker(env, fakeWorld([]), undefined, { workflowsPath: require.resolve('./fixtures/notice-batches') });
  try {
    const heard = await env.client.workflow.execute(noticeListener, { taskQueue: worker.taskQueue, workflowId: `notice-batches-${randomUUID()}`, args: [400] });
    // user0 at once; at 5 and 10 minutes a full batch each (400 notices are ~150 KB); what is left, and user0 again, at the end.
    expect(heard.map((h) => Math.round(h.at / MINUTE))).toEqual([0, 5, 10, 12]); // (and the time a signal takes)
    expect(heard[0].notices.map((n) => n.mailbox)).toEqual(['user0']);
    for (const h of heard) expect(JSON.stringify(h.notices).length).toBeLessThanOrEqual(NOTICE_BATCH_BYTES);
    const told = heard.flatMap((h) => h.notices);
    expect(told.filter((n) => n.mailbox !== 'user0').map((n) => n.mailbox)).toEqual(Array.from({ length: 399 }, (_, i) => `user${i + 1}`));
    expect(told.at(-1)).toMatchObject({ mailbox: 'user0', reason: 'again' });
    expect(Math.max(...told.map((n) => n.reason.length))).toBe(300); // clipped as the activities clip
  } finally {
    await worker.stop();
  }
});
