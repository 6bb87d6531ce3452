// The runbook's continuation state is its own: whoever starts a migration gives the spec
// alone. A second argument (a forged resume past every gate, with a forged approval) is
// refused at once, before any activity runs, and the migration never reports "completed".
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { fakeWorld } from './fakes';
import { forgedContinuation as forged } from './fixtures/forged-continuation';
import { startWorker } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it.each([
  ['a whole forged continuation', forged],
  ['a bare stage', { stage: 'postsync' }],
])('refuses a start with %s as second argument', async (_name, resume) => {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 3_600_000));
    const handle = await env.client.workflow.start('classicalMigration', {
      taskQueue: worker.taskQueue,
      workflowId: `forged-${randomUUID()}`,
      args: [spec, resume],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInput', message: expect.stringMatching(/second argument is refused/) });
    expect(world.calls).toEqual([]);
  } finally {
    await worker.stop();
  }
});
