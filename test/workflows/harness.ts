// Drives a migration workflow on the time-skipping server as an operator would: waits
// (skipping time) until a gate opens, then approves it.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/workflow-bundle';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { approveUpdate } from '../../workflows/gates';
import type { GateName } from '../../workflows/spec';
import { fakeActivities, type FakeWorld } from './fakes';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/** The project's workflows (or a fixture standing in for them), bundled once per test file. */
export const workflowBundle = (workflowsPath = require.resolve('../../workflows')) => {
  if (!bundles.has(workflowsPath)) bundles.set(workflowsPath, bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES }));
  return bundles.get(workflowsPath)!;
};

/** A worker of the fakes (of the project's workflows, or a fixture's); a second worker on the same task queue needs a connection of its own. */
export async function startWorker(
  env: TestWorkflowEnvironment,
  world: FakeWorld,
  taskQueue = `wf-${randomUUID()}`,
  options: { connection?: NativeConnection; activitySlots?: number; workflowsPath?: string } = {},
) {
  const worker = await Worker.create({
    connection: options.connection ?? env.nativeConnection,
    ...(options.activitySlots && { maxConcurrentActivityTaskExecutions: options.activitySlots }),
    taskQueue,
    workflowBundle: await workflowBundle(options.workflowsPath),
    activities: fakeActivities(world),
  });
  const running = worker.run();
  return { taskQueue, stop: async () => (worker.shutdown(), await running) };
}

/** Skips time an hour at a time until `ready(status)`; fails after `maxHours`. */
export async function until(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  ready: (s: MigrationStatus) => boolean,
  maxHours = 24 * 30,
): Promise<MigrationStatus> {
  let s: MigrationStatus | undefined;
  for (let h = 0; h <= maxHours; h++) {
    s = await handle.query(statusQuery).catch(() => undefined);
    if (s && ready(s)) return s;
    await env.sleep(s ? '1 hour' : '100 milliseconds');
  }
  const { status } = await handle.describe();
  throw new Error(`condition not reached in ${maxHours} hours; workflow ${status.name}, phase ${s?.phase}, gate ${s?.openGate}`);
}

/**
 * The start gate is open and its approvers were told: the gate opens before its notice is
 * sent, so a status read in between lacks the notice's audit entry (a count taken then is one short).
 */
export const startAnnounced = (s: MigrationStatus): boolean =>
  s.openGate === 'start' && s.audit.some((e) => e.kind === 'notice' && e.notice === 'approver-gate-waiting');

/** Waits until `gate` is open (in the phase naming `wave`, when given) and approves it. */
export async function approveWhenOpen(env: TestWorkflowEnvironment, handle: WorkflowHandle, gate: GateName, wave?: string, by = 'operator') {
  await until(env, handle, (s) => s.openGate === gate && (!wave || s.phase.includes(`(${wave})`)));
  return handle.executeUpdate(approveUpdate, { args: [{ gate, by, comment: `test approves ${gate}` }] });
}
