// Scenario hold-and-release, activities faked, on the time-skipping server: the MX moves to
// a holding relay before the final sync, the relay's mail is released to host2 only after
// every mailbox is verified, the MX follows to host2, and the relay must end empty. A
// rollback while it holds sends its mail back to host1 and restores the MX.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { workflowTypeOf } from '../../scripts/cli/spec-file';
import { holdAndReleaseMigration } from '../../workflows/hold-and-release-migration';
import { approveUpdate, rollbackUpdate } from '../../workflows/gates';
import { parseSpec, specProblems, type ListedSpecInput } from '../../workflows/spec';
import { HOLD_AND_RELEASE_STEPS } from '../../workflows/steps';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';
import { holdingRelay } from './fixtures/holding-relay';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const specAt = (migrationAt: Date): ListedSpecInput => ({
  ...demoSpec('classical', migrationAt),
  name: 'hold-and-release',
  scenario: 'hold-and-release',
  mailFlow: { holdingRelay },
});

async function start(world: FakeWorld, canary?: { smtpPort: number }) {
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + 2 * 86_400_000 - 3_600_000);
  const handle = await env.client.workflow.start(holdAndReleaseMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `hold-and-release-${randomUUID()}`,
    args: [canary ? { ...specAt(migrationAt), mailFlow: { holdingRelay, canary } } : specAt(migrationAt)],
  });
  await approveWhenOpen(env, handle, 'start');
  await approveWhenOpen(env, handle, 'cutover');
  return { worker, handle };
}

/** The calls that matter here, in order, from the cut-over on. */
function steps(world: FakeWorld): string[] {
  const all = world.calls.flatMap((c) => {
    if (c.name === 'cutAccess') return [`cut ${c.input.users.join(',')}`];
    if (c.name === 'holdDomainMail') return [`relay holds ${c.input.domain}`];
    if (c.name === 'replaceRecords' && c.input.next?.type === 'MX') return [`MX ${c.input.next.values.join(',')} ttl ${c.input.next.ttl}`];
    if (c.name === 'mailQueue') return [`host1 queue ${c.input.hold.configDir}`];
    if (c.name === 'syncMailbox') return ['sync'];
    if (c.name === 'releaseDomainMail') return [`relay releases to ${c.input.to}`];
    if (c.name === 'relayQueue') return ['relay queue'];
    return [];
  });
  const first = all.findIndex((s) => s.startsWith('cut'));
  return all.slice(first).filter((s, i, a) => s !== 'sync' || a[i - 1] !== 'sync');
}

it('moves the MX to the relay before the final sync, releases after verification, then moves the MX to host2; the relay ends empty', async () => {
  const world = fakeWorld([mx]);
  world.mailPending = [1]; // host1's MTA still delivers one message after the TTL wait
  const { worker, handle } = await start(world);
  try {
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(steps(world)).toEqual([
      'cut alice',
      'cut bob,carol',
      'relay holds example.test',
      'MX 10 hold.example.test. ttl 300',
      'host1 queue /etc/postfix-mx1',
      'host1 queue /etc/postfix-mx1',
      'sync', // the final sync of every wave
      'relay releases to host2',
      'MX 10 mail2.example.test. ttl 300',
      'relay queue',
      'MX 10 mail2.example.test. ttl 86400',
    ]);
    // The final syncs ran in every wave after the MX left host1 and its queue was empty.
    expect(report.rounds.filter((r) => r.kind === 'final').map((r) => r.wave)).toEqual(['friendly-users', 'everyone']);
    expect(report.relayHold).toEqual({ held: 0, released: 'host2' });
    expect(report.audit.filter((e) => e.kind === 'holding-relay').map((e) => `${e.step} ${e.held}`)).toEqual(['hold 0', 'release to host2 2']);
    expect(report.steps).toEqual(HOLD_AND_RELEASE_STEPS.map((s) => s.label));
    expect(report.steps[report.currentStep]).toBe('restore the TTLs');
    expect(Object.values(report.mailboxes).every((m) => m.usersOnHost2)).toBe(true);
    // No post-sync: nothing reaches host1 after the final sync.
    expect(report.rounds.filter((r) => r.kind === 'postsync')).toEqual([]);
  } finally {
    await worker.stop();
  }
});

it('never releases before every final sync is verified: a mailbox missing mail stops at step-failed with the MX on the relay', async () => {
  const world = fakeWorld([mx]);
  world.missing.set('carol', 2);
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'step-failed');
    expect(s.failure).toMatchObject({ step: 'final sync', error: expect.stringMatching(/carol: 2/) });
    expect(s.failure!.changed).toContain("the holding relay holds the domain's mail");
    expect((await handle.query(workflowMetadataQuery)).currentDetails).toContain("holding relay: **holds the domain's mail**");
    await env.sleep('1 day');
    expect(world.calls.filter((c) => c.name === 'releaseDomainMail')).toEqual([]);
    expect(world.records.get('example.test./MX')!.values).toEqual(['10 hold.example.test.']);

    world.missing.delete('carol');
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    expect((await handle.result()).outcome).toBe('completed');
    const order = steps(world);
    expect(order.indexOf('relay releases to host2')).toBeGreaterThan(order.lastIndexOf('sync'));
    expect(order.indexOf('MX 10 mail2.example.test. ttl 300')).toBeGreaterThan(order.indexOf('relay releases to host2'));
  } finally {
    await worker.stop();
  }
});

it('stops at step-failed when the relay still holds mail at the end, and finishes once a retry finds it empty', async () => {
  const world = fakeWorld([mx]);
  world.relayLeft = [3];
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'step-failed');
    expect(s.failure).toMatchObject({
      step: 'holding relay empty',
      error: expect.stringMatching(/^the holding relay still has 3 message\(s\) for example.test/),
    });
    expect(s.failure!.choices).toBe('retry or rollback');
    expect(s.steps[s.currentStep]).toBe('the relay holds nothing more');
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    expect((await handle.result()).outcome).toBe('completed');
    expect(world.calls.filter((c) => c.name === 'relayQueue')).toHaveLength(2);
  } finally {
    await worker.stop();
  }
});

it('a rollback while the relay holds releases its mail to host1 and restores the MX', async () => {
  const world = fakeWorld([mx]);
  world.mailPending = Array(1000).fill(1); // host1's MTA cannot deliver: the runbook waits, then step-failed
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'step-failed');
    expect(s.failure).toMatchObject({ step: "host1's queue", error: expect.stringMatching(/still in host1's MTA queue/) });
    expect(world.records.get('example.test./MX')!.values).toEqual(['10 hold.example.test.']);
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'host1 MTA stuck' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.calls.filter((c) => c.name === 'releaseDomainMail').map((c) => c.input)).toEqual([
      expect.objectContaining({ domain: 'example.test', to: 'host1' }),
    ]);
    expect(world.relay).toEqual({ held: 0, routedTo: 'host1' });
    expect(world.records.get('example.test./MX')).toEqual(mx);
    expect(report.relayHold).toEqual({ held: 0, released: 'host1' });
    // Nothing reached host2 by the relay or the MX: nothing to copy back.
    expect(report.rounds.filter((r) => r.kind === 'reverse')).toEqual([]);
  } finally {
    await worker.stop();
  }
});

it('a rollback after the release (at gate canary) routes the relay back to host1, restores the MX and copies host2 mail back', async () => {
  const world = fakeWorld([mx]);
  world.canaryLandsOn = 'host1';
  const { worker, handle } = await start(world, { smtpPort: 25 });
  try {
    await until(env, handle, (st) => st.openGate === 'canary');
    expect(world.relay).toEqual({ held: 0, routedTo: 'host2' });
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'mail does not reach host2' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.calls.filter((c) => c.name === 'releaseDomainMail').map((c) => c.input.to)).toEqual(['host2', 'host1']);
    expect(world.relay.routedTo).toBe('host1');
    expect(world.records.get('example.test./MX')).toEqual(mx);
    // What the relay released into host2 goes back to host1.
    expect(report.rounds.filter((r) => r.kind === 'reverse')).toHaveLength(1);
  } finally {
    await worker.stop();
  }
});

it('a release that fails stops at step-failed before the MX moves to host2; a retry releases and goes on', async () => {
  const world = fakeWorld([mx]);
  world.fail.releaseDomainMail = () => {
    delete world.fail.releaseDomainMail;
    throw ApplicationFailure.nonRetryable('postsuper: fatal: scan_dir_push: open directory hold: Permission denied', 'MailFlowPostfixFailed');
  };
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'step-failed');
    expect(s.failure).toMatchObject({ step: 'release held mail', error: expect.stringMatching(/Permission denied/), choices: 'retry or rollback' });
    expect(s.failure!.changed).toContain("the holding relay sends the domain's mail to host2");
    expect(world.records.get('example.test./MX')!.values).toEqual(['10 hold.example.test.']);
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    expect((await handle.result()).outcome).toBe('completed');
    expect(world.calls.filter((c) => c.name === 'releaseDomainMail')).toHaveLength(2);
    expect(world.records.get('example.test./MX')!.values).toEqual(['10 mail2.example.test.']);
  } finally {
    await worker.stop();
  }
});

describe('the spec', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const spec = specAt(new Date('2026-06-01T00:00:00Z'));

  it('requires the holding relay, naming the field, and refuses a per-wave hold beside it', () => {
    expect(specProblems({ ...spec, mailFlow: {} }, now)).toEqual([expect.stringMatching(/^mailFlow\.holdingRelay: the hold-and-release scenario/)]);
    const hold = { provider: 'postfix', configDir: '/etc/postfix', host2Transport: 'lmtp:inet:10.0.0.2:24' };
    expect(specProblems({ ...spec, mailFlow: { holdingRelay, hold } }, now)).toEqual([expect.stringMatching(/^mailFlow\.hold: /)]);
    expect(specProblems({ ...spec, mailFlow: { holdingRelay: { ...holdingRelay, relay: { ...holdingRelay.relay, host2Transport: 'x' } } } }, now)).toEqual([
      expect.stringMatching(/^mailFlow\.holdingRelay\.relay\.host2Transport: must be a Postfix transport/),
    ]);
  });

  it("refuses a mailbox the relay would not hold (another domain than the MX's)", () => {
    const mailboxes = spec.mailboxes.map((m, i) => (i === 1 ? { ...m, source: { ...m.source, user: 'bob@elsewhere.test' } } : m));
    expect(specProblems({ ...spec, mailboxes }, now)).toEqual([
      'mailboxes[1].source.user: the holding relay holds mail for example.test only: bob@elsewhere.test is not there',
    ]);
    expect(specProblems({ ...spec, mailboxes, scenario: 'classical' }, now)).toEqual([]);
  });

  it('is run by holdAndReleaseMigration', () => {
    expect(workflowTypeOf(parseSpec(spec, now))).toBe('holdAndReleaseMigration');
    expect(workflowTypeOf(parseSpec({ ...spec, scenario: 'classical' }, now))).toBe('classicalMigration');
  });
});
