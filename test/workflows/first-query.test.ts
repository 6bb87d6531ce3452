// An operator's first look at a migration, right after starting it, while its spec is
// still being checked (a local activity; the mailbox list may follow): the status query
// answers that it is starting, instead of failing with "no handler for status" (seen in
// the dev-server e2e test when the check was slow).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { validateSpec } from '../../activities/spec';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { mailboxesQuery, mailboxQuery, statusQuery } from '../../workflows/status';
import { createTimeSkippingEnv } from '../harness/temporal';
import { fakeActivities, fakeWorld } from './fakes';
import { workflowBundle } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
}, 60_000);
afterAll(() => env?.teardown());

it('answers status queries while the spec is still being checked, then the runbook answers', async () => {
  const world = fakeWorld([{ name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] }]);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let checking = false;
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...fakeActivities(world),
      validateSpec: async (input: Parameters<typeof validateSpec>[0]) => {
        checking = true;
        await held;
        return validateSpec(input);
      },
    },
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('classicalMigration', {
      taskQueue,
      workflowId: `first-query-${randomUUID()}`,
      args: [demoSpec('classical', new Date(Date.now() + 86_400_000))],
      // While a local activity runs, queries are answered when its workflow task is renewed.
      workflowTaskTimeout: '2 seconds',
    });
    try {
      while (!checking) await new Promise((resolve) => setTimeout(resolve, 20));
      const starting = await handle.query(statusQuery);
      expect(starting).toMatchObject({ phase: 'starting: checking the spec', scenario: 'classicalMigration', steps: [], currentStep: -1 });
      expect(await handle.query(mailboxesQuery, { offset: 0, limit: 10 })).toEqual({ total: 0, mailboxes: {} });
      expect(await handle.query(mailboxQuery, 'alice')).toBeNull();
      release();
      // Then the runbook's own answer, with the scenario's steps.
      let running = await handle.query(statusQuery);
      for (let i = 0; i < 200 && !running.steps.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        running = await handle.query(statusQuery);
      }
      expect(running.steps.length).toBeGreaterThan(0);
      expect(running.phase).not.toBe(starting.phase);
    } finally {
      release();
      await handle.terminate('test done');
    }
  });
}, 120_000);
