// The runbook on a hostile timeline, activities faked (and made to fail): mail still
// arriving on host1 after the final sync, gates waiting a weekend, steps that keep failing,
// DNS that does not propagate, rollbacks asked at awkward moments. The migration never
// fails half-way and never loses mail.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate, rollbackUpdate } from '../../workflows/gates';
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

async function start(world: FakeWorld, days = 1) {
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + days * DAY - 3_600_000);
  const handle = await env.client.workflow.start(classicalMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `timeline-${randomUUID()}`,
    args: [demoSpec('classical', migrationAt)],
  });
  return { worker, handle };
}

type Handle = Awaited<ReturnType<typeof start>>['handle'];
const syncs = (world: FakeWorld) => world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);
const notices = (world: FakeWorld) => world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input);

async function throughCutover(handle: Handle) {
  await approveWhenOpen(env, handle, 'start');
  await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
  await approveWhenOpen(env, handle, 'cutover', 'everyone');
}
/** Through switch-mx, with the resolvers answering the old MX for longer than its TTL: stopped with the MX on host2. */
async function stuckWithMxOnHost2(world: FakeWorld, handle: Handle) {
  await throughCutover(handle);
  world.propagation = Array(40).fill(false);
  await approveWhenOpen(env, handle, 'switch-mx');
  const stopped = await until(env, handle, (s) => s.openGate === 'step-failed');
  world.propagation = [];
  return stopped;
}
const decide = (handle: Handle, decision: 'retry' | 'skip') =>
  handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision }] });

it('verifies each final sync as of its start: mail still arriving on host1 does not block the MX', async () => {
  const world = fakeWorld([mx]);
  world.lateArrivals.set('alice', 5).set('carol', 1);
  const { worker, handle } = await start(world);
  try {
    await throughCutover(handle);
    await approveWhenOpen(env, handle, 'switch-mx');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    const finalVerifications = world.calls.filter((c) => c.name === 'verifyMailbox' && c.input.asOf);
    expect(finalVerifications.map((c) => c.input.mailbox).sort()).toEqual(['alice', 'bob', 'carol']);
  } finally {
    await worker.stop();
  }
});

it('checks the final sync before gate switch-mx opens, shows what is missing per mailbox, and a retry syncs those again', async () => {
  const world = fakeWorld([mx]);
  world.missing.set('bob', 2);
  const { worker, handle } = await start(world);
  try {
    await throughCutover(handle);
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed' || s.openGate === 'switch-mx');
    expect(stopped.openGate).toBe('step-failed');
    expect(stopped.failure).toMatchObject({ step: 'final sync', error: expect.stringMatching(/missing on host2: bob: 2/) });
    expect(stopped.failure!.changed.join('\n')).toMatch(/access to host1 is cut for 3 user\(s\)/);
    expect(notices(world).at(-1)).toMatchObject({ notice: 'approver-failure', data: { step: 'final sync' } });
    expect(stopped.audit.some((e) => e.kind === 'approval' && e.gate === 'switch-mx')).toBe(false);
    // Skipping the rule is refused; the operator finds bob's messages, then retries.
    await expect(decide(handle, 'skip')).rejects.toMatchObject({ cause: { message: expect.stringMatching(/cannot be skipped/) } });
    world.missing.delete('bob');
    const bobFinals = () => syncs(world).filter((r) => r.mailbox === 'bob' && r.deleteOnDestination).length;
    const before = bobFinals();
    await decide(handle, 'retry');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect(bobFinals()).toBe(before + 1);
    expect((await handle.result()).outcome).toBe('completed');
  } finally {
    await worker.stop();
  }
});

it('a verification that errors is a failure, not "nothing missing"', async () => {
  const world = fakeWorld([mx]);
  world.fail.verifyMailbox = (req: SyncRequest) => {
    if (req.asOf && req.mailbox === 'carol') throw ApplicationFailure.nonRetryable('host2 closed the connection', 'ImapConnection');
  };
  const { worker, handle } = await start(world);
  try {
    await throughCutover(handle);
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed' || s.openGate === 'switch-mx');
    expect(stopped.openGate).toBe('step-failed');
    expect(stopped.failure?.error).toMatch(/carol \(verification failed: host2 closed the connection\)/);
    delete world.fail.verifyMailbox;
    await decide(handle, 'retry');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await handle.result()).outcome).toBe('completed');
  } finally {
    await worker.stop();
  }
});

it('DNS that does not propagate stops at step-failed with the MX known to be switched; a retry goes on', async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world);
  try {
    const stopped = await stuckWithMxOnHost2(world, handle);
    expect(stopped.failure).toMatchObject({ step: 'switch MX', error: expect.stringMatching(/has not propagated/) });
    expect(stopped.failure!.changed.join('\n')).toMatch(/the MX points to host2/);
    const syncsBefore = syncs(world).length;
    await decide(handle, 'retry');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    // Once the MX had moved, nothing deleted on host2 again.
    expect(
      syncs(world)
        .slice(syncsBefore)
        .every((r) => !r.deleteOnDestination),
    ).toBe(true);
  } finally {
    await worker.stop();
  }
});

it('an activity out of retries stops at step-failed; a rollback from there re-opens host1', async () => {
  const world = fakeWorld([mx]);
  world.fail.cutAccess = (input: { users: string[] }) => {
    if (input.users.includes('bob')) throw ApplicationFailure.nonRetryable('the deny list is not writable', 'AccessFailed');
  };
  const { worker, handle } = await start(world);
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed');
    expect(stopped.failure).toMatchObject({ step: 'cut-over: everyone', error: 'the deny list is not writable', choices: 'retry or rollback' });
    expect(stopped.failure!.changed.join('\n')).toMatch(/access to host1 is cut for 1 user\(s\)/);
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'deny list broken' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.calls.filter((c) => c.name === 'restoreAccess').map((c) => c.input.users)).toEqual([['alice']]);
    expect(world.records.get('example.test./MX')).toEqual(mx);
  } finally {
    await worker.stop();
  }
});

it("reaches back to each mailbox's final sync when gate switch-mx waited a weekend", async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world);
  try {
    await throughCutover(handle);
    await until(env, handle, (s) => s.openGate === 'switch-mx');
    await env.sleep('3 days');
    await approveWhenOpen(env, handle, 'switch-mx');
    await handle.result();
    const first = syncs(world).find((r) => r.deleteOnSource)!;
    expect(first.maxAgeDays).toBeGreaterThan(3);
    // The daily ones after it keep the FAQ's cadence: about a day.
    const later = syncs(world)
      .filter((r) => r.deleteOnSource && r.mailbox === first.mailbox)
      .slice(1);
    expect(later.length).toBeGreaterThan(0);
    for (const r of later) expect(r.maxAgeDays).toBeLessThan(1.1);
  } finally {
    await worker.stop();
  }
});

it('a rollback asked during the daily pre-sync wait acts within a minute', async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world, 5);
  try {
    await approveWhenOpen(env, handle, 'start');
    await until(env, handle, (s) => s.phase === 'pre-sync' && !!s.nextTimer);
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'postponed' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    const asked = Date.parse(report.audit.find((e) => e.kind === 'control')!.at);
    const restored = Date.parse(report.audit.find((e) => e.kind === 'dns' && e.step === 'rollback')!.at);
    expect(restored - asked).toBeLessThan(60_000);
    expect(notices(world).find((n) => n.notice === 'users-rollback')?.data.mailNote).toMatch(/No mail is lost/);
  } finally {
    await worker.stop();
  }
});

it('restores each TTL to what it was before the migration', async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world);
  try {
    await throughCutover(handle);
    await approveWhenOpen(env, handle, 'switch-mx');
    await handle.result();
    expect(world.records.get('example.test./MX')).toEqual({ ...mx, ttl: 7200, values: ['10 mail2.example.test.'] });
  } finally {
    await worker.stop();
  }
});

it("a rollback after the MX switch copies host2's new mail back to host1 first, and says so", async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world);
  try {
    await stuckWithMxOnHost2(world, handle);
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'host2 misbehaves' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    const reverse = syncs(world).filter((r) => r.folders?.include?.[0] === '^INBOX$' && !r.deleteOnSource && !r.deleteOnDestination);
    expect(reverse.map((r) => r.mailbox).sort()).toEqual(['alice', 'bob', 'carol']);
    for (const r of reverse) {
      expect(r.source.endpoint.port).toBe(demoSpec('classical', new Date()).host2.port);
      expect(r.destination.endpoint.port).toBe(demoSpec('classical', new Date()).host1.port);
    }
    expect(world.records.get('example.test./MX')).toEqual(mx);
    expect(notices(world).find((n) => n.notice === 'users-rollback')?.data.mailNote).toMatch(/copied back/);
  } finally {
    await worker.stop();
  }
});

it("never deletes users' own mail that preflight found on host2, and tells the approvers", async () => {
  const world = fakeWorld([mx]);
  world.host2Only.set('alice', 4);
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'start');
    expect(s.mailboxes.alice.ownMailOnHost2).toBe(4);
    expect(notices(world).at(-1)).toMatchObject({ notice: 'approver-gate-waiting', data: { checks: expect.stringMatching(/alice \(4\)/) } });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    await handle.result();
    expect(
      syncs(world)
        .filter((r) => r.mailbox === 'alice')
        .every((r) => !r.deleteOnDestination),
    ).toBe(true);
    expect(world.host2Only.get('alice')).toBe(4);
    expect(syncs(world).some((r) => r.mailbox === 'bob' && r.deleteOnDestination)).toBe(true);
  } finally {
    await worker.stop();
  }
});

it('never deletes mail a user put on host2 after preflight, while gate start waited; the first pre-sync finds it', async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'start');
    expect(s.mailboxes.bob.ownMailOnHost2).toBeUndefined();
    world.host2Only.set('bob', 2);
    await approveWhenOpen(env, handle, 'start');
    const cutover = await until(env, handle, (st) => st.openGate === 'cutover');
    expect(cutover.mailboxes.bob.ownMailOnHost2).toBe(2);
    expect(cutover.audit.filter((e) => e.kind === 'own-mail-on-host2')).toMatchObject([{ mailbox: 'bob', messages: 2 }]);
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await handle.result()).outcome).toBe('completed');
    expect(
      syncs(world)
        .filter((r) => r.mailbox === 'bob')
        .every((r) => !r.deleteOnDestination),
    ).toBe(true);
    expect(world.host2Only.get('bob')).toBe(2);
    // The others' first sync deletes nothing on host2 either; their later ones keep host2 exact.
    const alice = syncs(world).filter((r) => r.mailbox === 'alice' && !r.deleteOnSource);
    expect(alice[0].deleteOnDestination).toBe(false);
    expect(alice.slice(1).some((r) => r.deleteOnDestination)).toBe(true);
  } finally {
    await worker.stop();
  }
});

it('keeps mail a user put on host2 between two pre-syncs, and never deletes on host2 for that mailbox again', async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await start(world, 4);
  try {
    await approveWhenOpen(env, handle, 'start');
    await until(env, handle, (s) => s.rounds.filter((r) => r.kind === 'presync').length >= 2);
    world.host2Only.set('bob', 2); // bob starts using host2 early
    const s = await until(env, handle, (st) => !!st.mailboxes.bob.ownMailOnHost2);
    expect(s.mailboxes.bob.ownMailOnHost2).toBe(2);
    expect(s.audit).toContainEqual(expect.objectContaining({ kind: 'own-mail-on-host2', mailbox: 'bob', messages: 2 }));
    const after = syncs(world).length;
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    await handle.result();
    expect(
      syncs(world)
        .slice(after)
        .filter((r) => r.mailbox === 'bob')
        .every((r) => !r.deleteOnDestination),
    ).toBe(true);
    expect(world.host2Only.get('bob')).toBe(2);
  } finally {
    await worker.stop();
  }
});
