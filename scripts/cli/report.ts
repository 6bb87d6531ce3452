// `mailshift report <id>`: waits for the migration's end (or, with --no-wait, only takes
// a finished one) and prints its report as Markdown, or as JSON.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { MAILBOXES_PAGE, mailboxesQuery, type MigrationReport } from '../../workflows/status';
import { EXIT, json, parse, type CliIo } from './io';
import { renderReport } from './format';
import { connect, explain } from './temporal';

export const reportHelp = `mailshift report <workflowId> [--json] [--no-wait]

Waits until the migration ends and prints its report: outcome (completed or rolled-back),
every round, each mailbox, the DNS changes, approvals and the whole audit log, as
Markdown (default) or JSON (--json). Past 1,000 mailboxes the workflow's result lists the
failing ones first; the others are read from the migration a page at a time (a worker
must be running). With --no-wait, a migration still running is not
waited for (exit 1). Exit 1 when the workflow does not exist or failed.`;

export async function reportCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { json: { type: 'boolean' }, 'no-wait': { type: 'boolean' } }, ['workflowId']);
  if (values.help) {
    io.out(reportHelp);
    return EXIT.ok;
  }
  const [workflowId] = args;
  const t = await connect(io);
  try {
    const handle = t.client.workflow.getHandle(workflowId);
    if (values['no-wait']) {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') {
        io.err(`workflow ${workflowId} is still running: see mailshift status ${workflowId}`);
        return EXIT.failed;
      }
    }
    const report = await everyMailbox(handle, (await handle.result()) as MigrationReport);
    io.out(values.json ? json({ workflowId, ...report }) : renderReport(workflowId, report));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause?.message ?? err.message;
      io.err(`migration ${workflowId} failed: ${cause}`);
      if (values.json) io.out(json({ workflowId, outcome: 'failed', failure: cause }));
      return EXIT.failed;
    }
    const { code, message } = explain(err, workflowId);
    io.err(message);
    return code;
  } finally {
    await t.close();
  }
}

/**
 * The workflow's result lists up to REPORT_MAILBOXES mailboxes (the failing first): the
 * others come from the `mailboxes` query, a page at a time (a worker answers it, also for a
 * migration that has ended), in the list's order.
 */
async function everyMailbox(handle: WorkflowHandle, report: MigrationReport): Promise<MigrationReport> {
  if (!report.mailboxesOmitted) return report;
  const mailboxes: MigrationReport['mailboxes'] = {};
  for (let offset = 0; ; offset += MAILBOXES_PAGE) {
    const page = await handle.query(mailboxesQuery, { offset, limit: MAILBOXES_PAGE });
    Object.assign(mailboxes, page.mailboxes);
    if (offset + MAILBOXES_PAGE >= page.total) break;
  }
  const all = { ...report, mailboxes };
  delete all.mailboxesOmitted;
  return all;
}
