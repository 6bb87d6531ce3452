// What must run beside host1 (its deny list, doveadm) runs on the worker there: the spec's
// access.workerQueue names its task queue, and only that worker cuts, restores and closes
// sessions; everything else stays on the migration's own workers (time-skipping server,
// activities faked: two workers, each with its own recording world).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { rollbackUpdate } from '../../workflows/gates';
import type { MigrationSpecInput } from '../../workflows/spec';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it('cuts, restores and closes sessions only on the worker beside host1 named by access.workerQueue', async () => {
  const anywhere = fakeWorld([mx]);
  const onHost1 = fakeWorld([mx]);
  const worker = await startWorker(env, anywhere);
  const host1Queue = `host1-${randomUUID()}`;
  const host1Worker = await startWorker(env, onHost1, host1Queue);
  try {
    const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 86_400_000 - 3_600_000));
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `host1-worker-${randomUUID()}`,
      args: [{ ...spec, access: { ...spec.access, workerQueue: host1Queue } as MigrationSpecInput['access'] }],
    });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await until(env, handle, (s) => s.openGate === 'cutover' && s.phase.includes('(everyone)'));
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'not tonight' }] });
    expect((await handle.result()).outcome).toBe('rolled-back');
    const names = (w: typeof anywhere) => w.calls.map((c) => c.name);
    expect(names(onHost1).sort()).toEqual(['cutAccess', 'restoreAccess']);
    // The method as the activity takes it: without the queue, which is the workflow's business.
    expect(onHost1.calls[0].input.method).toEqual(spec.access);
    expect(names(anywhere)).not.toContain('cutAccess');
    expect(names(anywhere)).toContain('syncMailbox');
  } finally {
    await host1Worker.stop();
    await worker.stop();
  }
});
