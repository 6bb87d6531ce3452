// A migration whose mailboxes are in a file (spec field mailboxList): the worker reads the
// list when the migration starts (the workflow's input holds only its reference), and a
// bad row ends it at once, by line, before any activity.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import type { MigrationSpecInput } from '../../workflows/spec';
import { fakeWorld } from './fakes';
import { startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

async function startWithList(csv: string) {
  const list = path.join(mkdtempSync(path.join(tmpdir(), 'list-')), 'batch.csv');
  writeFileSync(list, csv);
  const { mailboxes, ...spec } = demoSpec('classical', new Date((await env.currentTimeMs()) + 3 * 86_400_000));
  const { credential, masterUser, masterUserSeparator } = mailboxes[0].source;
  const input = { ...spec, mailboxList: { from: `file:${list}`, defaults: { source: { credential, masterUser, masterUserSeparator } } } };
  const world = fakeWorld([mx]);
  const worker = await startWorker(env, world);
  const handle = await env.client.workflow.start(classicalMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `list-${randomUUID()}`,
    args: [input as unknown as MigrationSpecInput],
  });
  return { world, worker, handle, input };
}

it('runs with the mailboxes its CSV lists, waves as the rows say', async () => {
  const { worker, handle, input } = await startWithList(
    'EmailAddress,UserName,DestinationPassword,Wave\nalice,alice,env:ALICE,friendly-users\nbob,bob,env:BOB,everyone\ncarol,carol,env:CAROL,everyone\n',
  );
  try {
    const s = await until(env, handle, (st) => st.openGate === 'start');
    expect(Object.fromEntries(Object.entries(s.mailboxes).map(([u, m]) => [u, m.wave]))).toEqual({
      alice: 'friendly-users',
      bob: 'everyone',
      carol: 'everyone',
    });
    // What Temporal keeps as the input is the reference, not the list.
    const history = await handle.fetchHistory();
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    const given = JSON.parse(Buffer.from(started.input!.payloads![0].data!).toString());
    expect(given.mailboxList).toEqual(input.mailboxList);
    expect(given.mailboxes).toBeUndefined();
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it('a bad row ends the migration at once, naming its line and field, before any activity', async () => {
  const { world, worker, handle } = await startWithList('EmailAddress,UserName,DestinationPassword\nalice,alice,env:ALICE\nbob,bob,hunter2\n');
  try {
    const err = (await handle.result().catch((e: unknown) => e)) as { cause?: { message?: string; type?: string } };
    expect(err.cause?.type).toBe('InvalidSpec');
    expect(err.cause?.message).toContain('mailboxList[line 3].destination.credential: must be a secret reference');
    expect(err.cause?.message).not.toContain('hunter2');
    expect(world.calls).toEqual([]);
  } finally {
    await worker.stop();
  }
});
