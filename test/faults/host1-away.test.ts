// host1 refuses or goes away during a pre-sync round (the mailboxRound workflow with the
// REAL activities on Temporal's time-skipping server, so the retry policy's back-offs are
// skipped): the round reports the failed mailboxes clearly, the others are copied, and the
// next round catches up once host1 answers again.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as activities from '../../activities';
import type { SyncState } from '../../activities/imap/types';
import { mailboxRound, type MailboxOutcome } from '../../workflows/mailbox-round';
import type { MigrationSpec } from '../../workflows/spec';
import { createTimeSkippingEnv } from '../harness/temporal';
import { workflowBundle } from '../workflows/harness';
import { activityAttempts, seedBulk, startMailWorld, type MailWorld } from './world';

jest.setTimeout(180_000);

const users = ['alice', 'bob', 'carol'];
let w: MailWorld;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'faults-host1-away';
let round = 0;

beforeAll(async () => {
  w = await startMailWorld();
  for (const u of users) await seedBulk(w.host1, u, w.passwords[`host1-${u}`], { folder: 'INBOX', count: 20, tag: 'first' });
  await seedBulk(w.host1, 'carol', w.passwords['host1-carol'], { folder: 'Archive', count: 10, tag: 'archive' });
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await env?.teardown();
  await w?.stop();
});

function runRound(spec: MigrationSpec, previous: MailboxOutcome[] = []): Promise<MailboxOutcome[]> {
  const previousStates: Record<string, SyncState> = {};
  for (const o of previous) if (o.state) previousStates[o.mailbox] = o.state;
  return env.client.workflow.execute(mailboxRound, {
    taskQueue,
    workflowId: `faults-host1-away-${++round}`,
    args: [{ spec, kind: 'presync', mailboxes: users, usersOnHost2: [], mxOnHost2: false, previousStates }],
  });
}

async function expectSame(user: string) {
  const cmp = await w.compare(user);
  expect({ user, missing: cmp.missing, extra: cmp.extra }).toEqual({ user, missing: [], extra: [] });
  return cmp;
}

let lastRound: MailboxOutcome[] = [];

it('host1 refuses one mailbox: that mailbox fails clearly, the others are copied, the next round catches up', async () => {
  // bob's host1 login uses a credential file holding a wrong password.
  const bad = path.join(w.secretsDir, 'host1-admin-for-bob');
  writeFileSync(bad, 'not-the-password\n', { mode: 0o600 });
  const spec = w.spec();
  spec.mailboxes.find((m) => m.source.user === 'bob')!.source.credential = `file:${bad}`;

  const first = await runRound(spec);
  expect(first.map((o) => [o.mailbox, o.ok])).toEqual([
    ['alice', true],
    ['bob', false],
    ['carol', true],
  ]);
  const bobFailure = first[1].error ?? '';
  expect(bobFailure).toMatch(/host1/);
  expect(bobFailure).toMatch(/bob/);
  expect(bobFailure).toMatch(/log ?in|authenticat|credential/i);
  expect(bobFailure).not.toContain(w.passwords['host1-admin']);
  expect(first[0].copied).toBe(20);
  expect(first[2].copied).toBe(30);
  await expectSame('alice');
  await expectSame('carol');
  expect((await w.compare('bob')).destination).toBe(0);

  // The operator fixes the credential; the next round copies bob and nothing else again.
  writeFileSync(bad, `${w.passwords['host1-admin']}\n`, { mode: 0o600 });
  const second = await runRound(spec, first);
  expect(second.map((o) => [o.mailbox, o.ok, o.copied])).toEqual([
    ['alice', true, 0],
    ['bob', true, 20],
    ['carol', true, 0],
  ]);
  for (const u of users) await expectSame(u);
  lastRound = second;
});

it('host1 down for a whole round: every mailbox fails with a retryable connection error after its retries, the next round catches up', async () => {
  await seedBulk(w.host1, 'alice', w.passwords['host1-alice'], { folder: 'INBOX', count: 5, tag: 'second' });
  await seedBulk(w.host1, 'carol', w.passwords['host1-carol'], { folder: 'Archive', count: 3, tag: 'second' });
  const spec = w.spec();
  await w.host1.stop();
  let third: MailboxOutcome[];
  try {
    third = await runRound(spec, lastRound);
  } finally {
    await w.restart('host1');
  }
  expect(third.map((o) => [o.mailbox, o.ok])).toEqual(users.map((u) => [u, false]));
  for (const o of third) {
    expect(o.error).toMatch(/host1/);
    expect(o.error).toMatch(new RegExp(o.mailbox));
  }
  // Retried by the activity retry policy (5 attempts) before the round gave the mailbox up.
  const history = await env.client.workflow.getHandle(`faults-host1-away-${round}`).fetchHistory();
  const attempts = activityAttempts(history);
  expect(attempts).toEqual([5, 5, 5]);

  const fourth = await runRound(spec, lastRound);
  expect(fourth.map((o) => [o.mailbox, o.ok, o.copied])).toEqual([
    ['alice', true, 5],
    ['bob', true, 0],
    ['carol', true, 3],
  ]);
  for (const u of users) await expectSame(u);
});
