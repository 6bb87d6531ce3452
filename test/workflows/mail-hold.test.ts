// Holding a wave's mail at its cut-over (spec mailFlow.hold), activities faked, on the
// time-skipping server: hold before the final sync, wait until host1's MTA has nothing
// pending for the wave, release to host2 only into verified mailboxes, and a rollback
// releases held mail back to host1.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { luckyMigration } from '../../workflows/lucky-migration';
import { approveUpdate, rollbackUpdate } from '../../workflows/gates';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const hold = { provider: 'postfix', configDir: '/etc/postfix-mx1', host2Transport: 'lmtp:inet:10.0.0.2:24' } as const;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

async function start(world: FakeWorld) {
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + 2 * 86_400_000 - 3_600_000);
  const spec = { ...demoSpec('classical', migrationAt), mailFlow: { hold } };
  const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `hold-${randomUUID()}`, args: [spec] });
  await approveWhenOpen(env, handle, 'start');
  await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
  return { worker, handle };
}

/** The calls that matter here, in order, from the first hold to the last release. */
function steps(world: FakeWorld): string[] {
  const all = world.calls.flatMap((c) => {
    if (c.name === 'holdMail') return [`hold ${c.input.addresses.join(',')}`];
    if (c.name === 'mailQueue') return ['queue'];
    if (c.name === 'syncMailbox') return [`sync ${c.input.mailbox}`];
    if (c.name === 'releaseMail') return [`release ${c.input.addresses.join(',')} to ${c.input.to}`];
    return [];
  });
  // A wave's mailboxes sync concurrently: one entry per run of syncs, sorted.
  for (let i = all.length - 1; i > 0; i--) {
    if (all[i].startsWith('sync ') && all[i - 1].startsWith('sync '))
      all.splice(i - 1, 2, `sync ${[all[i - 1].slice(5), all[i].slice(5)].join(',').split(',').sort().join(',')}`);
  }
  const first = all.findIndex((s) => s.startsWith('hold'));
  const last = all.map((s) => s.startsWith('release')).lastIndexOf(true);
  return all.slice(first, last + 1);
}

it("holds each wave's mail before its final sync, waits for the queue, and releases it to host2 after verification", async () => {
  const world = fakeWorld([mx]);
  world.mailPending = [2, 1]; // host1's MTA still delivering for two looks
  const { worker, handle } = await start(world);
  try {
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(steps(world)).toEqual([
      'hold alice@example.test',
      'queue',
      'queue',
      'queue',
      'sync alice',
      'release alice@example.test to host2',
      'hold bob@example.test,carol@example.test',
      'queue',
      'sync bob,carol',
      'release bob@example.test,carol@example.test to host2',
    ]);
    expect(report.mailHold).toEqual({ 'friendly-users': { held: 0, released: true }, everyone: { held: 0, released: true } });
    expect(report.steps[report.currentStep]).toBe('restore the TTLs');
    expect(report.audit.filter((e) => e.kind === 'mail-hold').map((e) => `${e.step} ${e.wave} ${e.held}`)).toEqual([
      'hold friendly-users 0',
      'release to host2 friendly-users 1',
      'hold everyone 0',
      'release to host2 everyone 2',
    ]);
  } finally {
    await worker.stop();
  }
});

it('refuses to release into a mailbox whose final sync is not verified, and releases once a retry verifies it', async () => {
  const world = fakeWorld([mx]);
  world.missing.set('alice', 2); // the final sync's verification finds messages missing
  const { worker, handle } = await start(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'step-failed');
    expect(s.failure).toMatchObject({ step: 'release held mail', error: 'held mail cannot be released into host2: alice (2 missing on host2)' });
    expect(s.failure!.changed).toContain("mail for friendly-users is held on host1's MTA (1 message(s))");
    // The Web UI's details say it on the wave's line.
    const details = (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
    expect(details).toMatch(/wave \*\*friendly-users\*\*: [^·]*, 1 message\(s\) held on host1's MTA/);
    await env.sleep('1 day');
    expect(world.calls.filter((c) => c.name === 'releaseMail')).toEqual([]);

    world.missing.delete('alice');
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await handle.result()).outcome).toBe('completed');
    expect(world.calls.find((c) => c.name === 'releaseMail')!.input).toMatchObject({ addresses: ['alice@example.test'], to: 'host2' });
  } finally {
    await worker.stop();
  }
});

it('a rollback during the hold releases the held mail back to host1', async () => {
  const world = fakeWorld([mx]);
  world.mailPending = Array(1000).fill(1); // host1's MTA cannot deliver
  const { worker, handle } = await start(world);
  try {
    // Nothing is released while the queue still has mail for the wave: after half an hour, step-failed.
    const held = await until(env, handle, (st) => st.openGate === 'step-failed');
    expect(held.failure).toMatchObject({
      step: 'mail hold',
      error: expect.stringMatching(/^1 message\(s\) for friendly-users are still in host1's MTA queue/),
    });
    expect(held.mailHold).toEqual({ 'friendly-users': { held: 1, released: false } });
    expect(held.steps[held.currentStep]).toBe('each wave: gate cutover, cut access, final sync');
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'host1 MTA stuck' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.calls.filter((c) => c.name === 'releaseMail').map((c) => c.input)).toEqual([
      expect.objectContaining({ addresses: ['alice@example.test'], to: 'host1' }),
    ]);
    expect(world.calls.filter((c) => c.name === 'syncMailbox' && c.input.mailbox === 'alice').length).toBeGreaterThan(0);
    expect(report.mailHold).toEqual({ 'friendly-users': { held: 0, released: false } });
  } finally {
    await worker.stop();
  }
});

it('holds and releases in the lucky scenario too, wave by wave around each final sync', async () => {
  const world = fakeWorld([mx, { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] }]);
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + 2 * 86_400_000 - 3_600_000);
  const spec = { ...demoSpec('lucky', migrationAt), mailFlow: { hold } };
  const handle = await env.client.workflow.start(luckyMigration, { taskQueue: worker.taskQueue, workflowId: `hold-lucky-${randomUUID()}`, args: [spec] });
  try {
    for (const gate of ['start', 'cutover', 'switch-mx', 'shutdown-old'] as const) await approveWhenOpen(env, handle, gate);
    expect((await handle.result()).outcome).toBe('completed');
    expect(steps(world)).toEqual([
      'hold alice@example.test',
      'queue',
      'sync alice',
      'release alice@example.test to host2',
      'hold bob@example.test,carol@example.test',
      'queue',
      'sync bob,carol',
      'release bob@example.test,carol@example.test to host2',
    ]);
  } finally {
    await worker.stop();
  }
});
