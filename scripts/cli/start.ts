// `mailshift start <spec> [--id <workflowId>]`: validates first (a bad spec never starts
// anything), then starts classicalMigration, luckyMigration or mxFirstMigration on the
// mailshift task queue.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { classicalMigration } from '../../workflows/classical-migration';
import { TASK_QUEUE } from '../../workflows/task-queue';
import { EXIT, json, parse, type CliIo } from './io';
import { checkSpecFile, workflowTypeOf } from './spec-file';
import { causeOf, connect, explain, refusedInput } from './temporal';
import { migrationSummary } from './summary';
import { describeCheck } from './validate';

export const startHelp = `mailshift start <spec.json|spec.yaml> [--id <workflowId>] [--json]

Validates the spec (nothing starts when it has a problem: exit 2), then starts the
scenario's workflow (classicalMigration, luckyMigration or mxFirstMigration) on task queue
MAILSHIFT_TASK_QUEUE (default "mailshift"), with workflow id --id (default
migration-<name>). Prints the id and the Temporal Web UI link (MAILSHIFT_UI_URL,
default http://127.0.0.1:8233). Exit 2 also when Temporal refuses the start (e.g. a
spec over the cluster's payload limit); exit 1 when a workflow with that id already
exists.`;

export const uiLink = (io: CliIo, namespace: string, workflowId: string) => {
  const ui = ((io.env ?? process.env).MAILSHIFT_UI_URL || 'http://127.0.0.1:8233').replace(/\/+$/, '');
  return `${ui}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
};

export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { id: { type: 'string' }, json: { type: 'boolean' } }, ['spec']);
  if (values.help) {
    io.out(startHelp);
    return EXIT.ok;
  }
  const checked = await checkSpecFile(args[0], io.now?.() ?? new Date(), io.cwd);
  if (!checked.ok) {
    if (values.json) io.out(json(checked));
    else describeCheck(checked, io);
    io.err('nothing was started.');
    return EXIT.usage;
  }
  const workflowId = values.id?.trim() || `migration-${checked.spec.name}`;
  const workflowType = workflowTypeOf(checked.spec);
  const taskQueue = io.taskQueue ?? (io.env ?? process.env).MAILSHIFT_TASK_QUEUE ?? TASK_QUEUE;
  const t = await connect(io);
  try {
    // The spec goes as written (the workflow fills in the defaults itself, after validating again).
    const handle = await t.client.workflow.start<typeof classicalMigration>(workflowType, {
      taskQueue,
      workflowId,
      args: [checked.input],
      staticSummary: migrationSummary(checked.spec),
    });
    const link = uiLink(io, t.namespace, workflowId);
    if (values.json) {
      io.out(json({ workflowId, runId: handle.firstExecutionRunId, workflowType, taskQueue, namespace: t.namespace, ui: link }));
    } else {
      io.out(`started ${workflowType} "${checked.spec.name}" as workflow ${workflowId} (task queue ${taskQueue}, namespace ${t.namespace})`);
      io.out(`web UI: ${link}`);
      io.out(`watch:  mailshift status ${workflowId}`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      io.err(`a workflow with id ${workflowId} already exists (running, or kept by the namespace's retention): choose another --id`);
      return EXIT.failed;
    }
    if (refusedInput(err)) {
      io.err(`Temporal refused to start workflow ${workflowId}: ${causeOf(err)}. Nothing was started.`);
      return EXIT.usage;
    }
    const { code, message } = explain(err, workflowId);
    io.err(message);
    return code;
  } finally {
    await t.close();
  }
}
