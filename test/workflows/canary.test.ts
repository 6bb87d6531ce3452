// The canary after the MX switch, activities faked, on the time-skipping server: users
// hear that host1 is gone only once a canary sent through the MX as DNS answers it has
// reached host2; one that lands on host1, bounces or never arrives stops at gate canary.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

/** A classical migration run up to its MX switch. */
async function upToTheSwitch(world: FakeWorld) {
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + 2 * 86_400_000 - 3_600_000);
  const handle = await env.client.workflow.start(classicalMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `canary-${randomUUID()}`,
    args: [demoSpec('classical', migrationAt)],
  });
  await approveWhenOpen(env, handle, 'start');
  await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
  await approveWhenOpen(env, handle, 'cutover', 'everyone');
  await approveWhenOpen(env, handle, 'switch-mx');
  return { worker, handle };
}

const notices = (world: FakeWorld) => world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input.notice as string);
const names = (world: FakeWorld) => world.calls.map((c) => c.name);

it('sends the canary after the low TTL and goes on once it is on host2', async () => {
  const world = fakeWorld([mx]);
  const { worker, handle } = await upToTheSwitch(world);
  try {
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    const [sent] = world.calls.filter((c) => c.name === 'sendCanary').map((c) => c.input);
    expect(sent).toMatchObject({
      domain: 'example.test.',
      smtpPort: 2500,
      from: 'mailshift@example.test',
      to: 'alice@example.test',
      dns: { zone: 'example.test', resolvers: [] },
    });
    const found = world.calls.find((c) => c.name === 'findCanary')!.input;
    expect(found).toMatchObject({ token: sent.token, host1: { login: { user: 'alice', masterUser: 'admin' } }, host2: { login: { user: 'alice' } } });
    // After the switch and its TTL, before users hear that host1 is gone.
    const switched = report.audit.find((e) => e.kind === 'dns' && e.step === 'switch MX')!;
    const canary = report.audit.find((e) => e.kind === 'canary')!;
    expect(canary).toMatchObject({ outcome: 'on-host2', token: sent.token });
    expect(Date.parse(canary.at) - Date.parse(switched.at)).toBeGreaterThanOrEqual(300_000);
    expect(names(world).indexOf('sendCanary')).toBeLessThan(world.calls.findIndex((c) => c.input?.notice === 'users-old-server-gone'));
  } finally {
    await worker.stop();
  }
});

it('stops at gate canary when the canary lands on host1, and goes on after a retry finds it on host2', async () => {
  const world = fakeWorld([mx]);
  world.canaryLandsOn = 'host1'; // the new MX still delivers to host1
  const { worker, handle } = await upToTheSwitch(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'canary');
    expect(s.canary).toMatch(/^The canary to alice@example\.test landed on host1, not host2: mail2\.example\.test\. \(127\.0\.0\.2:25\) took it/);
    expect(notices(world)).not.toContain('users-old-server-gone');
    const told = world.calls.filter((c) => c.name === 'sendNotice' && c.input.data.gate === 'canary').map((c) => c.input.data);
    expect(told).toEqual([expect.objectContaining({ checks: expect.stringContaining(s.canary!) })]);
    expect(told[0].checks).toMatch(/"decision":"retry"/);
    // Whatever it waits, nothing goes on, and the MX stays switched.
    await env.sleep('2 days');
    expect(notices(world)).not.toContain('users-old-server-gone');
    expect(world.records.get('example.test./MX')?.values).toEqual(['10 mail2.example.test.']);

    world.canaryLandsOn = 'host2'; // the administrator fixed the MX host
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'canary', by: 'operator', decision: 'retry' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    const tokens = world.calls.filter((c) => c.name === 'sendCanary').map((c) => c.input.token);
    expect(new Set(tokens).size).toBe(2);
    expect(report.audit.filter((e) => e.kind === 'canary').map((e) => e.outcome)).toEqual(['on-host1', 'on-host2']);
    expect(notices(world)).toContain('users-old-server-gone');
  } finally {
    await worker.stop();
  }
});

it('waits its time for a canary that never arrives, then goes on when an approver says so', async () => {
  const world = fakeWorld([mx]);
  world.canaryLandsOn = 'nowhere';
  const { worker, handle } = await upToTheSwitch(world);
  try {
    const s = await until(env, handle, (st) => st.openGate === 'canary');
    expect(s.canary).toMatch(/^The canary to alice@example\.test has not arrived on host2 \(nor host1\) in 30 minutes/);
    expect(world.calls.filter((c) => c.name === 'findCanary').length).toBe(31); // at 10 s, then every minute
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'canary', by: 'operator', comment: 'greylisting: checked by hand' }] });
    expect((await handle.result()).outcome).toBe('completed');
    expect(world.calls.filter((c) => c.name === 'sendCanary').length).toBe(1);
  } finally {
    await worker.stop();
  }
});
