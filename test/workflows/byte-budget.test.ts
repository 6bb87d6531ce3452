// A daily byte budget per account (host2.uploadBytesPerDay here; Gmail's preset brings
// 500 MB): a sync stops at what is left of the day's budget, the mailbox waits for the next
// UTC day on a durable timer (status: throttled until, and why), then goes on; what a
// mailbox used today carries over to the next round of the same day (time-skipping
// server, activities faked: the real engine's stop is in test/imap/byte-budget.test.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { mailboxRound } from '../../workflows/mailbox-round';
import { parseSpec } from '../../workflows/spec';
import type { SyncRequest } from '../../activities/imap/types';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BUDGET = 1000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it('stops a sync at the day’s budget, waits for the next UTC day, goes on, and counts the day across rounds', async () => {
  const world = fakeWorld([mx]);
  world.toCopyBytes.set('bob', 2.5 * BUDGET);
  const worker = await startWorker(env, world);
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 5 * DAY));
  spec.host2 = { ...spec.host2, uploadBytesPerDay: BUDGET };
  spec.schedule = { ...spec.schedule, presyncEveryHours: 6 };
  const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `budget-${randomUUID()}`, args: [spec] });
  const bobSyncs = () => world.calls.filter((c) => c.name === 'syncMailbox' && c.input.mailbox === 'bob').map((c) => c.input as SyncRequest);
  try {
    await approveWhenOpen(env, handle, 'start');
    const waiting = await until(env, handle, (s) => !!s.mailboxes.bob.throttledUntil);
    const now = await env.currentTimeMs();
    const due = Date.parse(waiting.mailboxes.bob.throttledUntil!);
    expect(due % DAY).toBe(0); // a UTC midnight...
    expect(due - now).toBeLessThanOrEqual(DAY); // ...the next one
    expect(waiting.mailboxes.bob.throttleReason).toMatch(/daily byte budget reached: 1000 B a day/);
    expect(bobSyncs().map((r) => r.maxBytes)).toEqual([BUDGET]);

    // Two more days: 1000, then the last 500; the round ends after the second midnight.
    const s = await until(env, handle, (st) => st.rounds.some((r) => r.kind === 'presync'));
    const round = s.rounds.find((r) => r.kind === 'presync')!;
    expect(round.failed).toEqual([]);
    expect(Date.parse(round.startedAt) + round.durationMs).toBeGreaterThanOrEqual(due + DAY);
    expect(bobSyncs().map((r) => r.maxBytes)).toEqual([BUDGET, BUDGET, BUDGET]);
    expect(world.toCopyBytes.get('bob')).toBe(0);
    const lastDay = new Date(Date.parse(round.startedAt) + round.durationMs).toISOString().slice(0, 10);
    expect(s.mailboxes.bob.bytesToday).toEqual({ day: lastDay, bytes: 0.5 * BUDGET });
    expect(s.mailboxes.bob.throttledUntil).toBeUndefined();
    // Its outcome counts what each day's sync copied (3 messages each, in the fakes).
    expect(s.mailboxes.bob.last).toMatchObject({ ok: true, copied: 9 });
    // Mailboxes with nothing to copy were not held up.
    expect(world.calls.filter((c) => c.name === 'syncMailbox' && c.input.mailbox === 'alice')).toHaveLength(1);

    // The next pre-sync, six hours later on the same UTC day, may copy only what is left of it.
    await until(env, handle, (st) => st.rounds.filter((r) => r.kind === 'presync').length >= 2);
    expect(bobSyncs()[3].maxBytes).toBe(0.5 * BUDGET);
  } finally {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  }
});

it('a round continued as new goes on with the bytes its mailboxes used today', async () => {
  const world = fakeWorld([]);
  const worker = await startWorker(env, world);
  try {
    const now = await env.currentTimeMs();
    const base = demoSpec('classical', new Date(now + DAY));
    const spec = parseSpec({ ...base, host2: { ...base.host2, uploadBytesPerDay: BUDGET } }, new Date(now));
    const today = new Date(now).toISOString().slice(0, 10);
    // As continue-as-new hands it on: bob used 600 bytes today, alice's count is of yesterday.
    const bytesToday = { bob: { day: today, bytes: 600 }, alice: { day: '2000-01-01', bytes: BUDGET } };
    const users = spec.mailboxes.map((m) => m.source.user);
    const outcomes = await env.client.workflow.execute(mailboxRound, {
      taskQueue: worker.taskQueue,
      workflowId: `budget-round-${randomUUID()}`,
      args: [{ spec, kind: 'presync', mailboxes: users, usersOnHost2: [], mxOnHost2: false, bytesToday }],
    });
    const maxBytes = Object.fromEntries(world.calls.map((c) => [c.input.mailbox, (c.input as SyncRequest).maxBytes]));
    expect(maxBytes).toMatchObject({ alice: BUDGET, bob: BUDGET - 600 });
    expect(outcomes.find((o) => o.mailbox === 'bob')?.bytesToday).toEqual({ day: today, bytes: 600 });
  } finally {
    await worker.stop();
  }
});
