// Rollbacks on a hostile timeline, activities faked (and made to fail): a copy-back that
// fails part-way, and a rollback days after post-syncs deleted on host1. A rollback ends
// rolled back, with host1 holding every message it held or was sent.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { luckyMigration } from '../../workflows/lucky-migration';
import { approveUpdate, rollbackUpdate } from '../../workflows/gates';
import type { SyncRequest } from '../../activities/imap/types';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 7200, values: ['10 mail1.example.test.'] };
const imapA = { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const syncs = (world: FakeWorld) => world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);
/** host2 to host1, INBOX only, deleting nowhere: a rollback's copy-back. */
const isCopyBack = (r: SyncRequest) => r.folders?.include?.[0] === '^INBOX$' && !r.deleteOnSource && !r.deleteOnDestination;

async function startScenario(world: FakeWorld, scenario: 'classical' | 'lucky') {
  const worker = await startWorker(env, world);
  const spec = demoSpec(scenario, new Date((await env.currentTimeMs()) + DAY - 3_600_000));
  if (scenario === 'lucky') spec.dns.imapHost = { name: 'imap.example.test.', host2Addresses: ['127.0.0.2'], parkedAddresses: ['127.0.0.99'] };
  const workflow = scenario === 'lucky' ? luckyMigration : classicalMigration;
  const handle = await env.client.workflow.start(workflow, { taskQueue: worker.taskQueue, workflowId: `rollback-${randomUUID()}`, args: [spec] });
  // A migration left waiting (a failed test) would hold the shared server's skipped time.
  const stop = async () => {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  };
  return { handle, stop };
}

it('a copy-back that fails stops the rollback at step-failed, and a retry finishes it', async () => {
  const world = fakeWorld([mx]);
  let failures = 0;
  world.fail.syncMailbox = (r: SyncRequest) => {
    if (isCopyBack(r) && r.mailbox === 'bob' && failures++ === 0) throw ApplicationFailure.nonRetryable('host1 refused the APPEND', 'SyncFailed');
  };
  const { handle, stop } = await startScenario(world, 'classical');
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    world.propagation = Array(40).fill(false); // stuck after the MX was written: host2 gets mail
    await approveWhenOpen(env, handle, 'switch-mx');
    await until(env, handle, (s) => s.openGate === 'step-failed');
    world.propagation = [];
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'DNS broken' }] });
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed' && s.failure?.step === 'rollback: copy back', 72);
    expect(stopped.failure!.error).toMatch(/bob/);
    expect(stopped.failure!.choices).toBe('retry or rollback');
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(
      syncs(world)
        .filter((r) => isCopyBack(r) && r.mailbox === 'bob')
        .map((r) => r.mailbox),
    ).toEqual(['bob', 'bob']);
  } finally {
    await stop();
  }
});

it('a rollback days after a post-sync deleted on host1 copies back everything that post-sync could have deleted', async () => {
  const world = fakeWorld([mx, imapA]);
  const { handle, stop } = await startScenario(world, 'lucky');
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    await approveWhenOpen(env, handle, 'switch-mx');
    await until(env, handle, (s) => s.openGate === 'shutdown-old');
    await env.sleep('2 days'); // the approvers think it over
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'host2 too slow' }] });
    expect((await handle.result()).outcome).toBe('rolled-back');
    const postSync = syncs(world).find((r) => r.deleteOnSource && r.mailbox === 'alice')!;
    const copyBack = syncs(world).find((r) => isCopyBack(r) && r.mailbox === 'alice')!;
    // The post-sync removed from host1 what host2 had, as far back as its window reached;
    // the copy-back must reach at least as far back, two days later.
    expect(copyBack.maxAgeDays).toBeGreaterThanOrEqual(postSync.maxAgeDays! + 2);
  } finally {
    await stop();
  }
});

it('re-opening host1 that fails stops the rollback at step-failed, and a retry re-opens it', async () => {
  const world = fakeWorld([mx]);
  let failures = 0;
  world.fail.restoreAccess = () => {
    if (failures++ === 0) throw ApplicationFailure.nonRetryable('the deny list is not writable', 'AccessFailed');
  };
  const { handle, stop } = await startScenario(world, 'classical');
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await until(env, handle, (s) => s.openGate === 'cutover' && s.phase.includes('(everyone)'));
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'friendly users unhappy' }] });
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed', 72);
    expect(stopped.failure).toMatchObject({ step: 'rollback: access', error: 'the deny list is not writable' });
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.calls.filter((c) => c.name === 'restoreAccess').map((c) => c.input.users)).toEqual([['alice'], ['alice']]);
  } finally {
    await stop();
  }
});
