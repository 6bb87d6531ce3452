// The migration plan's first step, creating the mailboxes on host2 (spec `provisioning`):
// it runs first, before preflight logs in on host2 (a host2 that refuses the login of a
// mailbox not created yet passes preflight then), in every scenario (hold-and-release calls
// it on the same line); a failure stops at gate step-failed naming the user, and a retry
// goes on (time-skipping server, activities faked; the methods themselves: test/provisioning).
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
import type { SyncRequest } from '../../activities/imap/types';
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

/** A host2 that refuses the login of a mailbox not created yet, as some providers' do. */
function refuseUnprovisioned(world: FakeWorld): void {
  world.fail.verifyMailbox = (req: SyncRequest) => {
    const user = req.destination.login.user;
    if (!world.provisioned.has(user))
      throw ApplicationFailure.nonRetryable(`host2 mailbox ${req.mailbox}: login failed: no such user ${user}`, 'ImapLoginFailed');
  };
}

it.each(['classical', 'lucky', 'mx-first'] as const)('%s: creates the mailboxes on host2 first, so preflight can log in there', async (scenario) => {
  const world = fakeWorld([mx, imapA]);
  refuseUnprovisioned(world);
  const { handle, spec, stop } = await start(world, scenario);
  try {
    await until(env, handle, (s) => s.openGate === 'start');
    const before = names(world);
    const at = before.indexOf('provisionMailboxes');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThan(before.indexOf('verifyMailbox'));
    await approveWhenOpen(env, handle, 'start');
    if (scenario === 'mx-first') await approveWhenOpen(env, handle, 'switch-mx');
    const s = await until(env, handle, () => names(world).includes('syncMailbox'));
    const calls = names(world);
    expect(s.audit.find((e) => e.kind === 'step-failed')).toBeUndefined();
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

it('a failure stops at step-failed naming the user, before preflight; retry goes on', async () => {
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
    const stopped = await until(env, handle, (s) => s.openGate === 'step-failed', 48);
    expect(stopped.failure).toMatchObject({ step: 'provision host2', choices: 'retry or rollback' });
    expect(stopped.failure!.error).toMatch(/create bob failed with exit code 4; stderr ends with: no such plan/);
    expect(names(world)).not.toContain('verifyMailbox');
    broken = false;
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    await approveWhenOpen(env, handle, 'start');
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
