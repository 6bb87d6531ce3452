// Proves the toolchain: both Temporal servers start from the installed binaries, the
// SDK bundles our workflow code, and the time-skipping server skips a day at once.
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createLocalEnv, createTimeSkippingEnv } from '../harness/temporal';
import { approve, waitForApprovalOrDay } from '../fixtures/toolchain-workflows';
import { MIGRATION_PHASE } from '../../workflows/search-attributes';

const DAY_MS = 24 * 3600 * 1000;
let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/toolchain-workflows') });
});

/** A running worker on its own task queue for the tests of one describe block. */
async function startWorker(env: TestWorkflowEnvironment) {
  const taskQueue = `toolchain-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
  const running = worker.run();
  return { taskQueue, stop: async () => (worker.shutdown(), await running) };
}

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  let startMs: number;
  beforeAll(async () => {
    const t0 = Date.now();
    env = await createTimeSkippingEnv();
    startMs = Date.now() - t0;
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('starts from the installed launcher within the SDK readiness window', () => {
    expect(startMs).toBeLessThan(5_000);
  });

  it('an approval signal ends the wait before the day is out', async () => {
    const handle = await env.client.workflow.start(waitForApprovalOrDay, {
      taskQueue: worker.taskQueue,
      workflowId: randomUUID(),
    });
    await env.sleep('2 hours');
    await handle.signal(approve, { by: 'carol' });
    const { outcome, waitedMs } = await handle.result();
    expect(outcome).toBe('approved by carol');
    expect(waitedMs).toBeGreaterThanOrEqual(2 * 3600 * 1000);
    expect(waitedMs).toBeLessThan(DAY_MS);
  });

  it('skips a 24-hour durable timer in well under a second of wall time', async () => {
    const wallStart = Date.now();
    const { outcome, waitedMs } = await env.client.workflow.execute(waitForApprovalOrDay, {
      taskQueue: worker.taskQueue,
      workflowId: randomUUID(),
    });
    const wallMs = Date.now() - wallStart;
    expect(outcome).toBe('a day passed');
    expect(waitedMs).toBeGreaterThanOrEqual(DAY_MS);
    expect(waitedMs).toBeLessThan(DAY_MS + 60_000);
    expect(wallMs).toBeLessThan(1_000);
  });
});

describe('dev server (temporal server start-dev)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  beforeAll(async () => {
    env = await createLocalEnv();
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  it('runs a workflow and knows our search attributes', async () => {
    const handle = await env.client.workflow.start(waitForApprovalOrDay, {
      taskQueue: worker.taskQueue,
      workflowId: randomUUID(),
      typedSearchAttributes: [{ key: MIGRATION_PHASE, value: 'preflight' }],
    });
    await handle.signal(approve, { by: 'dave' });
    expect((await handle.result()).outcome).toBe('approved by dave');
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(MIGRATION_PHASE)).toBe('preflight');
  });
});
