// What must run beside an MTA (its maps, queue, programs) runs on the worker there: the
// spec's mailFlow.hold.workerQueue, holdingRelay.relay.workerQueue and
// holdingRelay.host1Queue.workerQueue name its task queue, and only that worker holds,
// counts and releases; everything else stays on the migration's own workers
// (time-skipping server, activities faked: each worker with its own recording world).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { holdAndReleaseMigration } from '../../workflows/hold-and-release-migration';
import type { ListedSpecInput } from '../../workflows/spec';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker } from './harness';
import { holdingRelay } from './fixtures/holding-relay';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const names = (w: FakeWorld) => w.calls.map((c) => c.name);
const MAIL_FLOW = ['holdMail', 'mailQueue', 'releaseMail', 'holdDomainMail', 'relayQueue', 'releaseDomainMail'];

it("holds, counts and releases a wave's mail only on the worker beside host1's MTA named by mailFlow.hold.workerQueue", async () => {
  const anywhere = fakeWorld([mx]);
  const besideMta = fakeWorld([mx]);
  const worker = await startWorker(env, anywhere);
  const mtaQueue = `mx1-${randomUUID()}`;
  const mtaWorker = await startWorker(env, besideMta, mtaQueue);
  try {
    const hold = { provider: 'command' as const, path: '/usr/local/sbin/mta-hold' };
    const spec = {
      ...demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000 - 3_600_000)),
      mailFlow: { hold: { ...hold, workerQueue: mtaQueue } },
    };
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId: `mta-worker-${randomUUID()}`, args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    expect((await handle.result()).outcome).toBe('completed');
    expect([...new Set(names(besideMta))].sort()).toEqual(['holdMail', 'mailQueue', 'releaseMail']);
    expect(names(besideMta).filter((n) => n === 'releaseMail')).toHaveLength(2);
    // The provider as the activity takes it: without the queue, which is the workflow's business.
    expect(besideMta.calls.every((c) => JSON.stringify(c.input.hold) === JSON.stringify({ ...hold, timeoutSeconds: 60 }))).toBe(true);
    expect(names(anywhere).filter((n) => MAIL_FLOW.includes(n))).toEqual([]);
    expect(names(anywhere)).toContain('syncMailbox');
  } finally {
    await mtaWorker.stop();
    await worker.stop();
  }
});

it("holds and releases on the relay's worker, and reads host1's queue on host1's, as holdingRelay names them", async () => {
  const anywhere = fakeWorld([mx]);
  const onRelay = fakeWorld([mx]);
  const onHost1 = fakeWorld([mx]);
  const worker = await startWorker(env, anywhere);
  const relayQueue = `relay-${randomUUID()}`;
  const host1Queue = `mx1-${randomUUID()}`;
  const relayWorker = await startWorker(env, onRelay, relayQueue);
  const host1Worker = await startWorker(env, onHost1, host1Queue);
  try {
    const spec: ListedSpecInput = {
      ...demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000 - 3_600_000)),
      name: 'hold-and-release',
      scenario: 'hold-and-release',
      mailFlow: {
        holdingRelay: {
          ...holdingRelay,
          relay: { ...holdingRelay.relay, workerQueue: relayQueue },
          host1Queue: { ...holdingRelay.host1Queue, workerQueue: host1Queue },
        },
      },
    };
    const handle = await env.client.workflow.start(holdAndReleaseMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `relay-worker-${randomUUID()}`,
      args: [spec],
    });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    expect((await handle.result()).outcome).toBe('completed');
    expect(names(onRelay)).toEqual(['holdDomainMail', 'releaseDomainMail', 'relayQueue']);
    expect(onRelay.calls.every((c) => JSON.stringify(c.input.relay) === JSON.stringify(holdingRelay.relay))).toBe(true);
    expect(names(onHost1)).toEqual(['mailQueue']);
    expect(onHost1.calls[0].input.hold).toEqual(holdingRelay.host1Queue);
    expect(names(anywhere).filter((n) => MAIL_FLOW.includes(n))).toEqual([]);
  } finally {
    await host1Worker.stop();
    await relayWorker.stop();
    await worker.stop();
  }
});
