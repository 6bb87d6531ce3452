// Access to host1 is cut (and restored) a page of users at a time: one activity's input
// and its report, a line per user, stay small however large the wave (time-skipping
// server, activities faked).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { rollbackUpdate } from '../../workflows/gates';
import { ACCESS_PAGE } from '../../workflows/access-steps';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it(`cuts and restores a wave's access ${ACCESS_PAGE} users at a time, every user once`, async () => {
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  const users = Array.from({ length: 2 * ACCESS_PAGE + 100 }, (_, i) => `user${i}`);
  try {
    const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 86_400_000 - 3_600_000));
    const template = base.mailboxes[0];
    const mailboxes = users.map((user) => ({
      ...template,
      source: { ...template.source, user },
      destination: { ...template.destination, user },
      wave: 'everyone',
    }));
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `access-pages-${randomUUID()}`,
      args: [{ ...base, mailboxes, sync: { concurrency: 100 } }],
    });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await until(env, handle, (s) => s.openGate === 'switch-mx' || s.openGate === 'step-failed');
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'not tonight' }] });
    expect((await handle.result()).outcome).toBe('rolled-back');
    for (const name of ['cutAccess', 'restoreAccess']) {
      const calls = world.calls.filter((c) => c.name === name).map((c) => c.input.users as string[]);
      expect({ name, pages: calls.length }).toEqual({ name, pages: 3 });
      expect(Math.max(...calls.map((p) => p.length))).toBeLessThanOrEqual(ACCESS_PAGE);
      expect(calls.flat().sort()).toEqual([...users].sort());
    }
  } finally {
    await worker.stop();
  }
}, 120_000);
