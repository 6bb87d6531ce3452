// The approver's commands: `approve` and `rollback` go as Updates (the workflow answers at
// once: taken, or refused with the reason), `pause` and `resume` as Signals (then the
// audit log tells whether they were taken).
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { entriesWritten } from '../../workflows/audit-log';
import { checkControlInput, RefusedError, type ControlAction } from '../../workflows/control-input';
import { approveUpdate, pauseSignal, resumeSignal, rollbackUpdate, type ControlAnswer } from '../../workflows/gates';
import { statusQuery } from '../../workflows/status';
import { gateName } from '../../workflows/spec';
import { EXIT, json, parse, required, UsageError, type CliIo } from './io';
import { auditLine } from './format';
import { seconds } from './status';
import { connect, explain, withTimeout, withWorkflow } from './temporal';

export const approveHelp = `mailshift approve <workflowId> <gate> --by <approver> [--decision retry|skip] [--comment <text>] [--json] [--timeout <seconds>]

Approves the open gate (${gateName.options.join(', ')}) through the workflow's
\`approve\` Update: the answer is immediate. Only the open gate can be approved, only by an
approver the spec allows; a refusal prints the reason and exits 3. --by takes at most
200 characters, --comment at most 2,000. Gate step-failed needs --decision retry (run
the failed step again) or skip (where the rules allow); at gate canary, --decision retry
sends a new canary (without it, the runbook goes on).`;

export const rollbackHelp = `mailshift rollback <workflowId> --by <approver> --comment <why> [--json] [--timeout <seconds>]

Rolls the migration back (DNS records restored, host1 re-opened, users told) through
the \`rollback\` Update, until users work on host2. A refusal prints the reason and exits 3.
--by takes at most 200 characters, --comment at most 2,000.`;

export const pauseHelp = `mailshift pause <workflowId> --by <approver> [--comment <text>]
mailshift resume <workflowId> --by <approver> [--comment <text>]

Pauses the runbook before its next step, or resumes it (Signals \`pause\` / \`resume\`).
The command then reads the audit log for a few seconds: a refused signal exits 3.`;

/**
 * The request, checked here as the workflow will check it: over Temporal's 2 MB payload
 * limit even the workflow's refusal cannot come back, and nothing need be sent to learn it.
 */
function checked<T>(action: ControlAction, request: T): T {
  try {
    checkControlInput(action, [request]);
  } catch (err) {
    if (err instanceof RefusedError) throw new UsageError(`${err.message}; nothing was sent`);
    throw err;
  }
  return request;
}

/** Sends an Update and prints the workflow's answer; a refusal exits 3. */
async function update(
  io: CliIo,
  workflowId: string,
  asJson: boolean | undefined,
  timeout: number,
  send: (h: ReturnType<import('@temporalio/client').WorkflowClient['getHandle']>) => Promise<ControlAnswer>,
): Promise<number> {
  const t = await connect(io);
  try {
    const answer = await withTimeout(t, timeout, () => send(t.client.workflow.getHandle(workflowId)));
    io.out(asJson ? json(answer) : `accepted: ${answer.message}`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const reason = err.cause?.message ?? err.message;
      if (asJson) io.out(json({ accepted: false, reason }));
      io.err(`refused: ${reason}`);
      return EXIT.refused;
    }
    const closed = await t.client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => (d.status.name === 'RUNNING' ? undefined : d.status.name))
      .catch(() => undefined);
    if (closed) {
      io.err(`workflow ${workflowId} is ${closed}: it takes no more approvals or rollbacks`);
      return EXIT.failed;
    }
    const { code, message } = explain(err, workflowId);
    io.err(message);
    return code;
  } finally {
    await t.close();
  }
}

export async function approveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(
    argv,
    { by: { type: 'string' }, decision: { type: 'string' }, comment: { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string' } },
    ['workflowId', 'gate'],
  );
  if (values.help) {
    io.out(approveHelp);
    return EXIT.ok;
  }
  const [workflowId, gate] = args;
  const g = gateName.safeParse(gate);
  if (!g.success) throw new UsageError(`unknown gate "${gate}": the gates are ${gateName.options.join(', ')}`);
  const by = required(values.by, 'by');
  const { decision } = values;
  if (decision !== undefined && decision !== 'retry' && decision !== 'skip') throw new UsageError(`--decision is retry or skip, not "${decision}"`);
  const approval = checked('approve', { gate: g.data, by, ...(decision && { decision }), ...(values.comment && { comment: values.comment }) });
  return update(io, workflowId, values.json, seconds(values.timeout, 30), (h) => h.executeUpdate(approveUpdate, { args: [approval] }));
}

export async function rollbackCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { by: { type: 'string' }, comment: { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string' } }, [
    'workflowId',
  ]);
  if (values.help) {
    io.out(rollbackHelp);
    return EXIT.ok;
  }
  const by = required(values.by, 'by');
  const request = checked('rollback', { by, comment: required(values.comment, 'comment') });
  return update(io, args[0], values.json, seconds(values.timeout, 30), (h) => h.executeUpdate(rollbackUpdate, { args: [request] }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `pause` / `resume`: a Signal, then a look at the audit log for its outcome. */
export async function pauseResumeCommand(action: 'pause' | 'resume', argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { by: { type: 'string' }, comment: { type: 'string' }, timeout: { type: 'string' } }, ['workflowId']);
  if (values.help) {
    io.out(pauseHelp);
    return EXIT.ok;
  }
  const [workflowId] = args;
  const by = required(values.by, 'by');
  const request = checked(action, { by, ...(values.comment && { comment: values.comment }) });
  const timeout = seconds(values.timeout, 5);
  return withWorkflow(io, workflowId, async (t) => {
    const handle = t.client.workflow.getHandle(workflowId);
    const before = await withTimeout(t, timeout, () => handle.query(statusQuery)).catch(() => undefined);
    await handle.signal(action === 'pause' ? pauseSignal : resumeSignal, request);
    io.out(`sent ${action} to ${workflowId}`);
    if (!before) return EXIT.ok; // no worker answers queries now: the signal waits in history
    const deadline = Date.now() + timeout * 1000;
    while (Date.now() < deadline) {
      const now = await withTimeout(t, timeout, () => handle.query(statusQuery)).catch(() => undefined);
      // The entries written since `before` are the last ones (the log is bounded: its length stops growing).
      const added = now ? entriesWritten(now) - entriesWritten(before) : 0;
      const entry = now?.audit
        .slice(added > 0 ? -added : now.audit.length)
        .find((e) => (e.kind === 'control' && e.action === action && e.by === by) || (e.kind === 'refused' && e.what === action));
      if (entry?.kind === 'refused') {
        io.err(`refused: ${entry.reason}`);
        return EXIT.refused;
      }
      if (entry) {
        io.out(`taken: ${auditLine(entry)}`);
        return EXIT.ok;
      }
      await sleep(200);
    }
    io.out(`not yet in the audit log after ${timeout} s: check mailshift status ${workflowId}`);
    return EXIT.ok;
  });
}
