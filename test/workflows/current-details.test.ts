// The Web UI's Current Details: the first line says the phase, the open gate and the exact
// approve input; the next, each wave's progress and the next timer (read through the
// same query the UI uses, on the time-skipping server with activities faked).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure, workflowMetadataQuery } from '@temporalio/workflow';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import type { SyncRequest } from '../../activities/imap/types';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveInput } from '../../workflows/current-details';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it('shows the phase, the open gate with its approve input, then each wave synced, failed and in all', async () => {
  const world = fakeWorld([mx]);
  world.fail.syncMailbox = (req: SyncRequest) => {
    if (req.mailbox === 'bob') throw ApplicationFailure.nonRetryable('host1 refused the login', 'ImapAuth');
  };
  const worker = await startWorker(env, world);
  try {
    const migrationAt = new Date((await env.currentTimeMs()) + 3 * 86_400_000);
    const workflowId = `details-${randomUUID()}`;
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId, args: [demoSpec('classical', migrationAt)] });
    const details = async () => (await handle.query(workflowMetadataQuery)).currentDetails ?? '';

    await until(env, handle, (s) => s.openGate === 'start');
    const atStart = (await details()).split('\n\n');
    expect(atStart[0]).toBe('**waiting for start** · gate **start** open: signal `approve` with `{"gate":"start","by":"<approver>"}`');
    expect(atStart).toContain(`From a shell: \`mailshift approve ${workflowId} start --by <you>\``);

    await approveWhenOpen(env, handle, 'start');
    await until(env, handle, (s) => s.openGate === 'cutover');
    const lines = (await details()).split('\n\n');
    expect(lines[0]).toMatch(/^\*\*waiting for cutover \(friendly-users\)\*\* · gate \*\*cutover\*\* open: /);
    // Counts as "1 of 1": "1/1" would show as a fraction glyph.
    expect(lines[1]).toBe('wave **friendly-users**: 1 of 1 synced · wave **everyone**: 1 of 2 synced, **1 failed**');
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
});

it('at gate step-failed the approve input carries the decision it needs', () => {
  expect(JSON.parse(approveInput('step-failed'))).toEqual({ gate: 'step-failed', by: '<approver>', decision: 'retry' });
  expect(JSON.parse(approveInput('switch-mx'))).toEqual({ gate: 'switch-mx', by: '<approver>' });
});
