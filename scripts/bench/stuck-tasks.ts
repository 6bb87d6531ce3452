// A workflow task that keeps failing leaves its workflow running and doing nothing (a
// payload over Temporal's limit, a non-determinism): a bench would wait for ever. This
// finds such a run among the open ones and says why, from its last failed task.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { historyOf } from './orchestration-figures';

/** Attempts after which a workflow task counts as stuck (the SDK retries a failing one every few seconds). */
const STUCK_AFTER_ATTEMPTS = 3;

/**
 * The first stuck run of the migration `workflowId` or of a child below it (each workflow's
 * latest run, the children found as its pending ones: no visibility needed), with why.
 */
export async function stuckTask(client: Client, workflowId: string): Promise<string | undefined> {
  // A pending child may not have started yet, or have just ended: nothing stuck there.
  const d = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (d?.status.name !== 'RUNNING') return undefined;
  const attempt = d.raw.pendingWorkflowTask?.attempt ?? 0;
  if (attempt >= STUCK_AFTER_ATTEMPTS) {
    const events = await historyOf(client, workflowId, d.runId);
    const failed = events.filter((e) => e.workflowTaskFailedEventAttributes).at(-1)?.workflowTaskFailedEventAttributes;
    const cause = failed ? temporal.api.enums.v1.WorkflowTaskFailedCause[failed.cause ?? 0] : 'no failed task in history (it times out)';
    return `${workflowId} run ${d.runId}: workflow task attempt ${attempt}, ${cause}: ${failed?.failure?.message ?? ''}`;
  }
  for (const child of d.raw.pendingChildren ?? []) {
    const stuck = child.workflowId ? await stuckTask(client, child.workflowId) : undefined;
    if (stuck) return stuck;
  }
  return undefined;
}
