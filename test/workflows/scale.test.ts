// A pre-sync round over 2,000 mailboxes on the real dev server (activities faked): the
// round continues-as-new so no run's history passes 10,000 events, and no mailbox is
// lost or done twice across the runs.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createLocalEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { defaultPayloadConverter } from '@temporalio/common';
import { mailboxRound, type RoundInput } from '../../workflows/mailbox-round';
import { parseSpec } from '../../workflows/spec';
import { fakeWorld } from './fakes';
import { startWorker } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createLocalEnv();
});
afterAll(() => env?.teardown());

it.each([
  [2_000, 1],
  [3_000, 2], // beyond one run's budget: it must continue-as-new
])('syncs %i mailboxes in runs of bounded history (at least %i run(s))', async (MAILBOXES, minRuns) => {
  const world = fakeWorld([]);
  const worker = await startWorker(env, world);
  try {
    const base = demoSpec('classical', new Date(Date.now() + 86_400_000));
    const mailboxes = Array.from({ length: MAILBOXES }, (_, i) => ({
      source: { user: `user${i}`, credential: 'env:HOST1_PASSWORD' },
      destination: { user: `user${i}`, credential: 'env:HOST2_PASSWORD' },
    }));
    const spec = parseSpec({ ...base, mailboxes, sync: { concurrency: 50 } }, new Date());
    const workflowId = `scale-${randomUUID()}`;
    const handle = await env.client.workflow.start(mailboxRound, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ spec, kind: 'presync', mailboxes: mailboxes.map((m) => m.source.user), usersOnHost2: [], mxOnHost2: false }],
    });
    const outcomes = await handle.result();

    expect(outcomes.map((o) => o.mailbox)).toEqual(mailboxes.map((m) => m.source.user));
    expect(outcomes.every((o) => o.ok && o.copied === 3)).toBe(true);
    const synced = world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input.mailbox);
    expect(new Set(synced).size).toBe(MAILBOXES); // every mailbox once...
    expect(synced.length).toBe(MAILBOXES); // ...and none twice

    const runs: number[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const events = (await env.client.workflow.getHandle(workflowId, wf.runId).fetchHistory()).events!;
      runs.push(events.length);
      // Each run's input holds the spec of the mailboxes it still has to do, not all of them.
      const input = defaultPayloadConverter.fromPayload<RoundInput>(events[0].workflowExecutionStartedEventAttributes!.input!.payloads![0]);
      expect(input.spec.mailboxes.map((m) => m.source.user)).toEqual(input.mailboxes.slice(input.done?.length ?? 0));
    }
    console.log(`${MAILBOXES} mailboxes: ${runs.length} runs, history events per run: ${runs.join(', ')}`);
    expect(runs.length).toBeGreaterThanOrEqual(minRuns);
    expect(Math.max(...runs)).toBeLessThan(10_000);
  } finally {
    await worker.stop();
  }
}, 300_000);
