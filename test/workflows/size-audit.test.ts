// Preflight's size audit in the runbook, activities faked: a mailbox whose mail does not
// fit in host2's quota stops the runbook at step-failed before gate start opens, with the
// numbers; once an admin raised the quota, a retry runs preflight again and gate start
// opens, its checks giving the total to copy. Messages over host2's provider limit (Gmail's)
// stop it too, unless the operator leaves large messages out (sync.maxSizeBytes).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import { fakeWorld } from './fakes';
import { startWorker, until } from './harness';

const DAY = 86_400_000;
const MB = 1024 * 1024;
const mx = { name: 'example.test.', type: 'MX', ttl: 7200, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it('a mailbox that does not fit on host2 stops preflight at step-failed with the numbers; a retry after the fix opens gate start', async () => {
  const world = fakeWorld([mx]);
  world.host1Bytes.set('alice', 2 * MB);
  world.host1Bytes.set('bob', 3 * MB);
  world.host1Bytes.set('carol', Math.round(12.4 * MB));
  for (const u of ['alice', 'bob', 'carol']) world.host2Quota.set(u, 10 * MB);
  const worker = await startWorker(env, world);
  const handle = await env.client.workflow.start(classicalMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `size-audit-${randomUUID()}`,
    args: [demoSpec('classical', new Date((await env.currentTimeMs()) + DAY))],
  });
  const notices = () => world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input);
  try {
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed' || s.openGate === 'start', 24);
    expect(stopped.openGate).toBe('step-failed');
    expect(stopped.failure).toMatchObject({ step: 'preflight' });
    expect(stopped.failure!.error).toBe(
      "preflight: 1 mailbox(es) do not fit on host2 (raise host2's quota or limit, then retry): " +
        'carol: needs 12.4 MiB (10 message(s) not yet on host2), host2 quota leaves 10.0 MiB (0 B used of 10.0 MiB)',
    );
    expect(stopped.mailboxes.carol.size).toMatchObject({ host1Bytes: Math.round(12.4 * MB), toCopyBytes: Math.round(12.4 * MB), quotaFree: 10 * MB });
    expect(stopped.mailboxes.carol.size!.doesNotFit).toMatch(/^needs 12\.4 MiB/);
    // Counted failing (listed first in a long status) until a preflight finds it fits.
    expect(stopped.waves.find((w) => w.wave === 'everyone')).toMatchObject({ failed: 1 });
    expect(stopped.mailboxes.alice.size).toEqual({ host1Bytes: 2 * MB, toCopyBytes: 2 * MB, largest: Math.ceil((2 * MB) / 10), quotaFree: 10 * MB });
    expect(notices().some((n) => n.notice === 'approver-gate-waiting' && n.data.gate === 'start')).toBe(false);
    expect(notices().at(-1)).toMatchObject({
      notice: 'approver-failure',
      data: { step: 'preflight', error: expect.stringContaining('carol: needs 12.4 MiB') },
    });
    expect(world.calls.some((c) => c.name === 'syncMailbox')).toBe(false);

    // An admin raises carol's quota on host2; preflight runs again.
    world.host2Quota.set('carol', 20 * MB);
    const verifiesBefore = world.calls.filter((c) => c.name === 'verifyMailbox').length;
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    const open = await until(env, handle, (s) => s.openGate === 'start', 24);
    expect(world.calls.filter((c) => c.name === 'verifyMailbox').length).toBe(verifiesBefore + 3);
    expect(open.mailboxes.carol.size).not.toHaveProperty('doesNotFit');
    expect(open.mailboxes.carol.size!.quotaFree).toBe(20 * MB);
    expect(open.waves.every((w) => w.failed === 0)).toBe(true);
    const atStart = notices().at(-1);
    expect(atStart).toMatchObject({ notice: 'approver-gate-waiting', data: { gate: 'start' } });
    expect(atStart.data.checks).toContain(
      "Size audit (preflight): 17.4 MiB to copy to host2 (17.4 MiB on host1) for 3 mailbox(es); every one fits host2's quota",
    );
  } finally {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  }
});

it("messages over host2's provider limit (Gmail) stop preflight with the numbers; sync.maxSizeBytes is the operator's way past", async () => {
  const world = fakeWorld([mx]);
  world.host1Bytes.set('carol', 400 * MB); // ten messages of 40 MiB
  const worker = await startWorker(env, world);
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + DAY));
  const start = (sync: object) =>
    env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `size-audit-preset-${randomUUID()}`,
      args: [{ ...spec, host2: { ...spec.host2, provider: 'gmail' as const }, sync: { ...spec.sync, ...sync } }],
    });
  const handles = [await start({})];
  try {
    const stopped = await until(env, handles[0], (s) => s.openGate === 'step-failed' || s.openGate === 'start', 24);
    expect(stopped.failure?.error).toBe(
      "preflight: 1 mailbox(es) do not fit on host2 (raise host2's quota or limit, then retry): carol: 10 message(s) larger than host2 accepts: " +
        "largest 40.0 MiB, host2 accepts at most 34.0 MiB (its provider's limit); sync.maxSizeBytes would leave them out",
    );
    handles.push(await start({ maxSizeBytes: 1 * MB }));
    expect((await until(env, handles[1], (s) => s.openGate === 'step-failed' || s.openGate === 'start', 24)).openGate).toBe('start');
  } finally {
    for (const h of handles) await h.terminate().catch(() => undefined);
    await worker.stop();
  }
});
