// `mailshift status <id>`: the workflow's `status` query (phase, open gate, paused, next
// timer, each mailbox's progress, the final-sync estimate, the recent audit log).
import { QueryNotRegisteredError, type WorkflowExecutionDescription } from '@temporalio/client';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { EXIT, json, parse, UsageError, type CliIo } from './io';
import { renderStatus } from './format';
import { causeOf, withTimeout, withWorkflow, type Temporal } from './temporal';

export const statusHelp = `mailshift status <workflowId> [--json] [--audit <n>] [--timeout <seconds>]

Shows the migration's phase, the open gate (and the command that approves it), whether it
is paused, the next timer, each mailbox's progress (preflight > pre-synced > final-synced
> on host2 > post-synced) and last round, the final-sync estimate (the last pre-sync's
duration) and the last <n> audit entries (default 8). The status query needs a running
worker: without an answer in --timeout seconds (default 20) the exit code is 4.
Exit 1 when the workflow does not exist, failed, or has no status query (it is not a
migration).`;

const FAILED = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

export const seconds = (value: string | undefined, fallback: number, name = 'timeout') => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
};

/**
 * describe() and the status query. The status is undefined, with the query's error, when
 * the workflow failed before it registered the query, or does not have one (it is not a
 * migration, e.g. one of its mailbox rounds).
 */
export async function fetchStatus(
  t: Temporal,
  workflowId: string,
  timeoutSeconds: number,
): Promise<{ description: WorkflowExecutionDescription; status?: MigrationStatus; queryError?: string }> {
  const handle = t.client.workflow.getHandle(workflowId);
  const description = await withTimeout(t, timeoutSeconds, () => handle.describe());
  try {
    return { description, status: await withTimeout(t, timeoutSeconds, () => handle.query(statusQuery)) };
  } catch (err) {
    if (FAILED.has(description.status.name) || err instanceof QueryNotRegisteredError) return { description, queryError: causeOf(err) };
    throw err;
  }
}

/** Why a closed workflow failed, from its history's last event. */
async function failureOf(t: Temporal, workflowId: string): Promise<string | undefined> {
  const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
  const last = history.events?.at(-1);
  return last?.workflowExecutionFailedEventAttributes?.failure?.message ?? last?.workflowExecutionTerminatedEventAttributes?.reason ?? undefined;
}

export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { json: { type: 'boolean' }, audit: { type: 'string' }, timeout: { type: 'string' } }, ['workflowId']);
  if (values.help) {
    io.out(statusHelp);
    return EXIT.ok;
  }
  const [workflowId] = args;
  const timeout = seconds(values.timeout, 20);
  const auditCount = Math.round(seconds(values.audit, 8, 'audit'));
  return withWorkflow(io, workflowId, async (t) => {
    const { description, status, queryError } = await fetchStatus(t, workflowId, timeout);
    const execution = description.status.name;
    const failed = FAILED.has(execution);
    const failure = failed ? await failureOf(t, workflowId).catch(() => undefined) : undefined;
    if (values.json) {
      io.out(json({ workflowId, execution, workflowType: description.type, taskQueue: description.taskQueue, failure, status, queryError }));
    } else if (status) {
      io.out(renderStatus({ workflowId, execution, status }, io.now?.() ?? new Date(), auditCount));
    } else if (failed) {
      io.out(`workflow ${workflowId} (${description.type}): ${execution}; it never reached the runbook, so it has no status.`);
    }
    if (failure && !values.json) io.err(`${execution.toLowerCase()}: ${failure}`);
    if (!status && !failed) io.err(`workflow ${workflowId} (${description.type}) did not answer the status query: ${queryError}`);
    return failed || !status ? EXIT.failed : EXIT.ok;
  });
}
