// Replays recorded histories of whole migrations against today's workflow code: a change
// that would break the determinism of running migrations fails here, not in production.
// Re-record after an intended, versioned change: RECORD_HISTORIES=1 npx jest test/workflows/replay
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTimeSkippingEnv } from '../harness/temporal';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/workflow-bundle';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { luckyMigration } from '../../workflows/lucky-migration';
import { mxFirstMigration } from '../../workflows/mx-first-migration';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, workflowBundle } from './harness';

const dir = path.join(__dirname, 'histories');
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const imapA = { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] };

(process.env.RECORD_HISTORIES ? describe : describe.skip)('recording histories', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());

  it.each([
    ['classical', classicalMigration, ['start', 'cutover', 'cutover', 'switch-mx']],
    ['lucky', luckyMigration, ['start', 'cutover', 'switch-mx', 'shutdown-old']],
    ['mx-first', mxFirstMigration, ['start', 'switch-mx', 'close-old']],
  ] as const)('records a whole %s migration', async (scenario, workflow, gates) => {
    const world = fakeWorld([mx, imapA]);
    world.syncCopies = (req) => (req.previous ? 0 : 3); // as the engine: a re-sync of unchanged mail copies nothing
    const worker = await startWorker(env, world);
    try {
      const spec = demoSpec(scenario, new Date((await env.currentTimeMs()) + 3 * 86_400_000));
      const handle = await env.client.workflow.start(workflow, { taskQueue: worker.taskQueue, workflowId: `replay-${scenario}`, args: [spec] });
      const waves = ['friendly-users', 'everyone'];
      for (const gate of gates) await approveWhenOpen(env, handle, gate, gate === 'cutover' && scenario === 'classical' ? waves.shift() : undefined);
      await handle.result();
      writeFileSync(path.join(dir, `${scenario}.history`), temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish());
    } finally {
      await worker.stop();
    }
  });
});

describe('replay of recorded migrations', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.history'));

  it('has histories of every scenario', () => {
    expect(files.sort()).toEqual(['classical.history', 'lucky.history', 'mx-first.history']);
  });

  it.each(files)('%s replays without a determinism error', async (file) => {
    // Histories are stored as the protobuf History message the server returned.
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
    expect(history.events?.length).toBeGreaterThan(50);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${path.basename(file, '.history')}`);
  });
});

describe('a later release with a stricter spec schema', () => {
  it('still replays running migrations: the spec was validated once, when each started', async () => {
    // The workflows bundled with workflows/spec.ts replaced by a module that refuses everything.
    const stricter = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      webpackConfigHook: (config) => {
        config.resolve = {
          ...config.resolve,
          alias: { ...(config.resolve?.alias as object), [require.resolve('../../workflows/spec')]: require.resolve('./fixtures/stricter-spec') },
        };
        return config;
      },
    });
    for (const file of ['classical', 'lucky']) {
      const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, `${file}.history`)));
      await Worker.runReplayHistory({ workflowBundle: stricter }, history, `replay-${file}`);
    }
  });
});

describe('a round started by a worker before throttle notices were batched', () => {
  it('replays on today’s code, still one signal per notice (its history has no batches marker)', async () => {
    // A page round whose bob was throttled twice and carol once, recorded on that code
    // (a signal to the runbook each time); rounds last days, so some run across an upgrade.
    const file = path.join(__dirname, 'fixtures', 'round-throttled-before-batches.history');
    const history = temporal.api.history.v1.History.decode(readFileSync(file));
    expect(history.events?.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toHaveLength(3);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'replay-throttled/presync-2');
  });
});
