// A cron schedule hands the start's arguments to every later run, and Temporal marks those
// runs as continued from the one before: a forged continuation given at the start must not
// pass there either. A migration never runs on a schedule (real dev server: the
// time-skipping one does not run cron schedules).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createLocalEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { fakeWorld } from './fakes';
import { forgedContinuation as forged } from './fixtures/forged-continuation';
import { startWorker } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createLocalEnv();
}, 60_000);
afterAll(() => env?.teardown());

it.each([
  // A migration hour in the past: a forged state would go straight to the end.
  ['a forged continuation', forged, -3_600_000],
  ['the spec alone', undefined, 86_400_000],
])(
  'refuses every run of a migration started on a cron schedule with %s',
  async (_name, resume, migrationIn) => {
    const world = fakeWorld([mx]);
    const worker = await startWorker(env, world);
    const workflowId = `cron-${randomUUID()}`;
    try {
      const spec = demoSpec('classical', new Date(Date.now() + migrationIn));
      const handle = await env.client.workflow.start('classicalMigration', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: resume ? [spec, resume] : [spec],
        cronSchedule: '@every 1s',
      });
      // Until three runs have closed: the later ones are those marked as continued.
      const closed = async () => {
        const runs = [];
        for await (const r of env.client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus != 'Running'` })) runs.push(r);
        return runs;
      };
      const deadline = Date.now() + 30_000;
      while ((await closed()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await handle.terminate('test done').catch(() => undefined);
      const runs = await closed();
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(runs.every((r) => r.status.name === 'FAILED' || r.status.name === 'TERMINATED')).toBe(true);
      expect(world.calls.map((c) => c.name)).toEqual([]);
    } finally {
      await worker.stop();
    }
  },
  60_000,
);
