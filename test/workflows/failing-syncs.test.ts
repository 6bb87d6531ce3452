// Syncs that fail on a hostile timeline, activities faked: a mailbox whose post-syncs keep
// failing is never taken for a quiet one, and a sync that lost its previous state (a failed
// sync, or one left out of a full payload) never deletes on host2 blind.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import type { SyncRequest } from '../../activities/imap/types';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 7200, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const syncs = (world: FakeWorld) => world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);

async function start(world: FakeWorld, days: number) {
  const worker = await startWorker(env, world);
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + days * DAY - 3_600_000));
  const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `failing-${randomUUID()}`, args: [spec] });
  // A migration left waiting (a failed test) would hold the shared server's skipped time.
  const stop = async () => {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  };
  return { handle, stop };
}

type Handle = Awaited<ReturnType<typeof start>>['handle'];
/** Every gate up to and including switch-mx: the post-syncs come next. */
async function throughSwitchMx(handle: Handle) {
  await approveWhenOpen(env, handle, 'start');
  await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
  await approveWhenOpen(env, handle, 'cutover', 'everyone');
  await approveWhenOpen(env, handle, 'switch-mx');
}

it('a mailbox whose post-syncs fail stops the runbook at step-failed and tells the approvers; it is never counted quiet', async () => {
  const world = fakeWorld([mx]);
  let broken = true;
  world.fail.syncMailbox = (r: SyncRequest) => {
    if (broken && r.deleteOnSource && r.mailbox === 'carol') throw ApplicationFailure.nonRetryable('host1 INBOX is locked', 'SyncFailed');
  };
  const { handle, stop } = await start(world, 1);
  try {
    await throughSwitchMx(handle);
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed' || s.phase === 'completed', 72);
    expect(stopped.failure).toMatchObject({ step: 'post-sync', choices: 'retry, skip or rollback' });
    expect(stopped.failure!.error).toMatch(/carol: .*host1 INBOX is locked/);
    expect(world.calls.some((c) => c.name === 'sendNotice' && c.input.notice === 'approver-failure')).toBe(true);
    broken = false;
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.mailboxes.carol.last).toMatchObject({ kind: 'postsync', ok: true });
  } finally {
    await stop();
  }
});

it("a pre-sync without the previous sync state never deletes on host2, and keeps what it finds there as the user's own", async () => {
  const world = fakeWorld([mx]);
  let failBob = false;
  world.fail.syncMailbox = (r: SyncRequest) => {
    if (failBob && r.mailbox === 'bob') {
      failBob = false;
      throw ApplicationFailure.nonRetryable('host2 went away', 'SyncFailed');
    }
  };
  const { handle, stop } = await start(world, 5);
  try {
    await approveWhenOpen(env, handle, 'start');
    await until(env, handle, (s) => s.rounds.filter((r) => r.kind === 'presync').length >= 1);
    failBob = true; // bob's next pre-sync fails: its state (host2's marks) is gone
    await until(env, handle, (s) => s.mailboxes.bob.last?.ok === false);
    world.host2Only.set('bob', 2); // then bob starts using host2
    const presyncs = syncs(world).length;
    const s = await until(env, handle, (st) => st.mailboxes.bob.last?.ok === true);
    const next = syncs(world)
      .slice(presyncs)
      .find((r) => r.mailbox === 'bob')!;
    expect(next.previous).toBeUndefined();
    expect(next.deleteOnDestination).toBe(false);
    expect(world.host2Only.get('bob')).toBe(2);
    expect(s.mailboxes.bob.ownMailOnHost2).toBe(2);
  } finally {
    await stop();
  }
});

it('a post-sync skipped at step-failed goes on post-syncing, gate done open again, and the report keeps the failure', async () => {
  const world = fakeWorld([mx]);
  world.fail.syncMailbox = (r: SyncRequest) => {
    if (r.deleteOnSource && r.mailbox === 'carol') throw ApplicationFailure.nonRetryable('host1 INBOX is locked', 'SyncFailed');
  };
  const { handle, stop } = await start(world, 1);
  try {
    await throughSwitchMx(handle);
    await until(env, handle, (s) => s.openGate === 'step-failed', 72);
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'skip' }] });
    // Users were handed host2 after the first post-sync; the daily ones run with gate done open.
    await approveWhenOpen(env, handle, 'done');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.mailboxes.carol.last).toMatchObject({ kind: 'postsync', ok: false });
    expect(report.audit.filter((e) => e.kind === 'step-failed').length).toBeGreaterThanOrEqual(1);
  } finally {
    await stop();
  }
});
