// A server that throttles a mailbox (Microsoft 365's "Suggested Backoff Time", Gmail's
// bandwidth limits): the round leaves that mailbox alone for as long as the server asked,
// on a durable timer, goes on with the others, and the status says until when; a mailbox
// throttled again and again counts as failed (time-skipping server, activities faked).
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import type { SyncRequest } from '../../activities/imap/types';
import { IMAP_THROTTLED } from '../../workflows/throttle';
import { MAX_THROTTLE_WAITS } from '../../workflows/throttled-mailboxes';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const HOUR = 3_600_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const throttled = (mailbox: string, retryAfterMs: number) =>
  ApplicationFailure.create({
    message: `host2 mailbox ${mailbox}: throttled`,
    type: IMAP_THROTTLED,
    nonRetryable: true,
    details: [{ side: 'host2', mailbox, retryAfterMs, reason: 'Request is throttled. Suggested Backoff Time: 10800000 milliseconds' }],
  });

async function start(world: FakeWorld) {
  const worker = await startWorker(env, world);
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 5 * 24 * HOUR));
  const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `throttled-${randomUUID()}`, args: [spec] });
  const stop = async () => {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  };
  return { handle, stop };
}

const presyncsOf = (world: FakeWorld, user: string) => world.calls.filter((c) => c.name === 'syncMailbox' && (c.input as SyncRequest).mailbox === user).length;

it('leaves a throttled mailbox alone for as long as the server asked, goes on with the others, and says until when', async () => {
  const world = fakeWorld([mx]);
  let throttleBob = 1;
  world.fail.syncMailbox = (r: SyncRequest) => {
    if (r.mailbox === 'bob' && throttleBob-- > 0) throw throttled('bob', 3 * HOUR);
  };
  const { handle, stop } = await start(world);
  try {
    await approveWhenOpen(env, handle, 'start');
    // The others are done while bob waits; the status says until when, and why.
    const waiting = await until(env, handle, (s) => !!s.mailboxes.bob.throttledUntil);
    expect(presyncsOf(world, 'alice')).toBe(1);
    expect(presyncsOf(world, 'carol')).toBe(1);
    expect(waiting.mailboxes.bob.throttleReason).toMatch(/Suggested Backoff Time/);
    expect(waiting.waves.find((w) => w.wave === 'everyone')?.throttled).toBe(1);
    const until_ = Date.parse(waiting.mailboxes.bob.throttledUntil!);
    expect(until_ - (await env.currentTimeMs())).toBeGreaterThan(HOUR); // not retried at once
    expect(presyncsOf(world, 'bob')).toBe(1);
    // After the wait, bob's sync runs again and the round ends with every mailbox ok.
    const s = await until(env, handle, (st) => st.rounds.some((r) => r.kind === 'presync'));
    const round = s.rounds.find((r) => r.kind === 'presync')!;
    expect(round.failed).toEqual([]);
    expect(round.durationMs).toBeGreaterThanOrEqual(3 * HOUR);
    expect(s.mailboxes.bob.throttledUntil).toBeUndefined();
    expect(s.mailboxes.bob.last).toMatchObject({ kind: 'presync', ok: true });
    expect(presyncsOf(world, 'bob')).toBe(2);
  } finally {
    await stop();
  }
});

it(`counts a mailbox throttled ${MAX_THROTTLE_WAITS + 1} times in one round as failed, naming the throttle`, async () => {
  const world = fakeWorld([mx]);
  world.fail.syncMailbox = (r: SyncRequest) => {
    if (r.mailbox === 'carol') throw throttled('carol', 60_000);
  };
  const { handle, stop } = await start(world);
  try {
    await approveWhenOpen(env, handle, 'start');
    const s = await until(env, handle, (st) => st.rounds.some((r) => r.kind === 'presync'));
    expect(s.rounds.find((r) => r.kind === 'presync')!.failed).toEqual(['carol']);
    expect(s.mailboxes.carol.last?.error).toMatch(new RegExp(`throttled by the server ${MAX_THROTTLE_WAITS + 1} times`));
    expect(presyncsOf(world, 'carol')).toBe(MAX_THROTTLE_WAITS + 1);
  } finally {
    await stop();
  }
});
