// A pre-sync round over 2,000 mailboxes on the real dev server (activities faked): the
// round continues-as-new so no run's history passes 10,000 events, and no mailbox is
// lost or done twice across the runs.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createLocalEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { defaultPayloadConverter } from '@temporalio/common';
import type { SyncState } from '../../activities/imap/types';
import { mailboxRound, type RoundInput } from '../../workflows/mailbox-round';
import { jsonBytes, PAYLOAD_BUDGET_BYTES, withStatesWithinBudget } from '../../workflows/payload-budget';
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
])(
  'syncs %i mailboxes in runs of bounded history (at least %i run(s))',
  async (MAILBOXES, minRuns) => {
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
  },
  300_000,
);

it('keeps every payload of two rounds over 2,000 mailboxes with large sync states under the budget', async () => {
  const world = fakeWorld([]);
  world.stateBytes = 1_000; // 2,000 states of ~1 KB do not all fit, with the spec, in 1.5 MB
  const worker = await startWorker(env, world);
  try {
    const base = demoSpec('classical', new Date(Date.now() + 86_400_000));
    const users = Array.from({ length: 2_000 }, (_, i) => `user${i}`);
    const mailboxes = users.map((user) => ({ source: { user, credential: 'env:HOST1_PASSWORD' }, destination: { user, credential: 'env:HOST2_PASSWORD' } }));
    const spec = parseSpec({ ...base, mailboxes, sync: { concurrency: 50 } }, new Date());
    const round = async (name: string, states: Record<string, SyncState>) => {
      const workflowId = `scale-states-${name}-${randomUUID()}`;
      const outcomes = await env.client.workflow.execute(mailboxRound, {
        taskQueue: worker.taskQueue,
        workflowId,
        // As the runbook hands a round its mailboxes' states.
        args: [withStatesWithinBudget<RoundInput>({ spec, kind: 'presync', mailboxes: users, usersOnHost2: [], mxOnHost2: false }, states)],
      });
      const inputs: number[] = [];
      for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        // The first event only: a whole page of such a history passes gRPC's 4 MB message limit.
        const { history } = await env.client.workflowService.getWorkflowExecutionHistory({
          namespace: env.namespace ?? 'default',
          execution: { workflowId, runId: wf.runId },
          maximumPageSize: 1,
        });
        inputs.push(history!.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0].data!.length);
      }
      return { outcomes, inputs };
    };
    const first = await round('first', {});
    const kept = first.outcomes.filter((o) => o.state);
    expect(kept.length).toBeGreaterThan(100);
    expect(kept.length).toBeLessThan(users.length); // some states did not fit
    expect(jsonBytes(first.outcomes)).toBeLessThanOrEqual(PAYLOAD_BUDGET_BYTES);

    const states = Object.fromEntries(kept.map((o) => [o.mailbox, o.state!]));
    const second = await round('second', states);
    for (const size of [...first.inputs, ...second.inputs]) expect(size).toBeLessThanOrEqual(PAYLOAD_BUDGET_BYTES);
    expect(jsonBytes(second.outcomes)).toBeLessThanOrEqual(PAYLOAD_BUDGET_BYTES);
    expect(second.outcomes.map((o) => o.mailbox)).toEqual(users);
    // The states that fit the second round's input were handed to their mailboxes' syncs.
    const handed = world.calls.filter((c) => c.name === 'syncMailbox' && c.input.previous).map((c) => c.input.mailbox);
    expect(handed.length).toBeGreaterThan(100);
    expect(handed.every((u) => states[u])).toBe(true);
  } finally {
    await worker.stop();
  }
}, 300_000);
