// The migration plan's first step, creating the mailboxes on host2 (spec `provisioning`):
// it runs once gate start is passed and before anything is copied to host2, in every
// scenario (hold-and-release calls it on the same line after gate start); a failure
// stops at gate step-failed naming the user, and a retry goes on (time-skipping server,
// activities faked; the methods themselves: test/provisioning).
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { luckyMigration } from '../../workflows/lucky-migration';
import { mxFirstMigration } from '../../workflows/mx-first-migration';
import { ACCESS_PAGE } from '../../workflows/access-steps';
import { approveUpdate } from '../../workflows/gates';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 7200, values: ['10 mail1.example.test.'] };
// The lucky scenario's IMAP host name, which it lowers, parks and moves.
const imapA = { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] };
const provisioning = { method: 'command' as const, path: '/usr/local/sbin/host2-create' };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const names = (world: FakeWorld) => world.calls.map((c) => c.name);

async function start(world: FakeWorld, scenario: 'classical' | 'lucky' | 'mx-first') {
  const worker = await startWorker(env, world);
  const spec = { ...demoSpec(scenario, new Date((await env.currentTimeMs()) + 2 * DAY - 3_600_000)), provisioning };
  const workflow = { classical: classicalMigration, lucky: luckyMigration, 'mx-first': mxFirstMigration }[scenario];
  const handle = await env.client.workflow.start(workflow, { taskQueue: worker.taskQueue, workflowId: `provisioning-${randomUUID()}`, args: [spec] });
  const stop = async () => {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  };
  return { handle, spec, stop };
}

it.each(['classical', 'lucky', 'mx-first'] as const)('%s: creates the mailboxes on host2 after gate start, before any sync', async (scenario) => {
  const world = fakeWorld([mx, imapA]);
  const { handle, spec, stop } = await start(world, scenario);
  try {
    await until(env, handle, (s) => s.openGate === 'start');
    expect(names(world)).not.toContain('provisionMailboxes');
    await approveWhenOpen(env, handle, 'start');
    if (scenario === 'mx-first') await approveWhenOpen(env, handle, 'switch-mx');
    const s = await until(env, handle, () => names(world).includes('syncMailbox'));
    const calls = names(world);
    const at = calls.indexOf('provisionMailboxes');
    expect(at).toBeGreaterThan(calls.lastIndexOf('verifyMailbox'));
    expect(at).toBeLessThan(calls.indexOf('syncMailbox'));
    expect(calls.filter((n) => n === 'provisionMailboxes')).toHaveLength(1);
    expect(world.calls[at].input).toEqual({
      method: { ...provisioning, timeoutSeconds: 60 },
      users: spec.mailboxes.map((m) => ({ user: m.destination.user, mailbox: m.source.user })),
    });
    expect(s.audit.find((e) => e.kind === 'provisioning')).toMatchObject({
      method: 'command',
      created: spec.mailboxes.map((m) => m.destination.user),
      alreadyThere: 0,
    });
  } finally {
    await stop();
  }
});

it('a failure stops at step-failed naming the user, before anything is copied; retry goes on', async () => {
  const world = fakeWorld([mx]);
  let broken = true;
  world.fail.provisionMailboxes = () => {
    if (broken)
      throw ApplicationFailure.nonRetryable(
        `provisioning command ${provisioning.path} create bob failed with exit code 4; stderr ends with: no such plan`,
        'ProvisionCommandFailed',
      );
  };
  const { handle, stop } = await start(world, 'classical');
  try {
    await approveWhenOpen(env, handle, 'start');
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed', 48);
    expect(stopped.failure).toMatchObject({ step: 'provision host2', choices: 'retry or rollback' });
    expect(stopped.failure!.error).toMatch(/create bob failed with exit code 4; stderr ends with: no such plan/);
    expect(names(world)).not.toContain('syncMailbox');
    broken = false;
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    const s = await until(env, handle, () => names(world).includes('syncMailbox'));
    expect(names(world).filter((n) => n === 'provisionMailboxes')).toHaveLength(2);
    expect(s.audit.filter((e) => e.kind === 'provisioning')).toHaveLength(1);
    expect(s.audit.find((e) => e.kind === 'step-failed')).toMatchObject({ step: 'provision host2' });
  } finally {
    await stop();
  }
});

it(`pages the users ${ACCESS_PAGE} at a time, on the worker beside host2 named by provisioning.workerQueue`, async () => {
  const anywhere = fakeWorld([mx]);
  const onHost2 = fakeWorld([mx]);
  const worker = await startWorker(env, anywhere);
  const host2Queue = `host2-${randomUUID()}`;
  const host2Worker = await startWorker(env, onHost2, host2Queue);
  const users = Array.from({ length: ACCESS_PAGE + 5 }, (_, i) => `user${i}`);
  try {
    const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * DAY - 3_600_000));
    const template = base.mailboxes[0];
    const mailboxes = users.map((user) => ({
      ...template,
      source: { ...template.source, user },
      destination: { ...template.destination, user: `${user}@new.test` },
    }));
    const doveadm = { method: 'doveadm' as const, doveadmConfig: '/etc/dovecot/dovecot.conf' };
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `provisioning-pages-${randomUUID()}`,
      args: [{ ...base, mailboxes, sync: { concurrency: 100 }, provisioning: { ...doveadm, workerQueue: host2Queue } }],
    });
    await approveWhenOpen(env, handle, 'start');
    await until(env, handle, () => names(anywhere).includes('syncMailbox'));
    await handle.terminate();
    expect(names(anywhere)).not.toContain('provisionMailboxes');
    const pages = onHost2.calls.filter((c) => c.name === 'provisionMailboxes');
    expect(pages.map((p) => p.input.users.length)).toEqual([ACCESS_PAGE, 5]);
    // The method as the activity takes it: without the queue, which is the workflow's business.
    expect(pages[0].input.method).toEqual(doveadm);
    expect(pages.flatMap((p) => p.input.users.map((u: { user: string }) => u.user))).toEqual(users.map((u) => `${u}@new.test`));
  } finally {
    await host2Worker.stop();
    await worker.stop();
  }
}, 120_000);
