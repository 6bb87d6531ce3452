// The per-host connection cap holds across workers: one round dispatches every mailbox, and
// it starts a mailbox only when its connections (per side: its parallel folders, capped per
// account) fit under each server's maxConnections. Two workers take the round's
// activities; at no moment do more run than the caps allow (time-skipping server, fakes).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import type { SyncRequest } from '../../activities/imap/types';
import { mailboxRound } from '../../workflows/mailbox-round';
import { parseSpec } from '../../workflows/spec';
import { fakeWorld } from './fakes';
import { startWorker } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const MAILBOXES = 16;
const SLOTS = 4;

/** Runs a pre-sync round of MAILBOXES mailboxes (8 at once by the spec) on two workers; returns the most that ran at once. */
async function roundOnTwoWorkers(host1: Record<string, unknown>, host2: Record<string, unknown>) {
  const worlds = [fakeWorld([]), fakeWorld([])];
  worlds[1].running = worlds[0].running; // one count across both workers
  for (const w of worlds) w.syncDelayMs = 150;
  // Each worker runs at most SLOTS at once: a peak above SLOTS took both.
  const first = await startWorker(env, worlds[0], undefined, { activitySlots: SLOTS });
  const connection = await NativeConnection.connect({ address: env.address });
  const second = await startWorker(env, worlds[1], first.taskQueue, { connection, activitySlots: SLOTS });
  try {
    const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 86_400_000));
    const mailboxes = Array.from({ length: MAILBOXES }, (_, i) => ({
      source: { user: `user${i}`, credential: 'env:HOST1_PASSWORD' },
      destination: { user: `user${i}`, credential: 'env:HOST2_PASSWORD' },
    }));
    const spec = parseSpec(
      { ...base, host1: { ...base.host1, ...host1 }, host2: { ...base.host2, ...host2 }, mailboxes, sync: { concurrency: 8 } },
      new Date(await env.currentTimeMs()),
    );
    const outcomes = await env.client.workflow.execute(mailboxRound, {
      taskQueue: first.taskQueue,
      workflowId: `caps-${randomUUID()}`,
      args: [{ spec, kind: 'presync', mailboxes: mailboxes.map((m) => m.source.user), usersOnHost2: [], mxOnHost2: false }],
    });
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const calls = worlds.map((w) => w.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest));
    // Both workers took mailboxes, every mailbox once.
    expect(calls.every((c) => c.length > 0)).toBe(true);
    expect(calls.flat().length).toBe(MAILBOXES);
    return { peak: worlds[0].running.peak, parallelFolders: new Set(calls.flat().map((r) => r.tuning?.parallelFolders)) };
  } finally {
    await Promise.all([first.stop(), second.stop()]);
    await connection.close();
  }
}

it('host2.maxConnections 10 with 2 connections per mailbox and side: never more than 5 mailboxes at once', async () => {
  const r = await roundOnTwoWorkers({}, { maxConnections: 10 });
  expect(r.parallelFolders).toEqual(new Set([2]));
  expect(r.peak).toBe(5);
});

it('one connection per account (host1.connectionsPerAccount 1): host2.maxConnections 6 runs 6 at once', async () => {
  const r = await roundOnTwoWorkers({ connectionsPerAccount: 1 }, { maxConnections: 6 });
  expect(r.parallelFolders).toEqual(new Set([1]));
  expect(r.peak).toBe(6);
});

it('without caps, the spec’s concurrency alone (8) bounds the round', async () => {
  const r = await roundOnTwoWorkers({}, {});
  expect(r.peak).toBe(8);
});
