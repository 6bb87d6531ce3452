// `npm run bench:scale`'s side of Temporal: waiting for the worker processes to poll,
// running one mailbox round as a workflow, and reading back every run's history (its
// length, size, activity durations and failed attempts).
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { mailboxRound, MailboxOutcome, RoundInput } from '../../workflows/mailbox-round';
import type { WorkerProcess } from '../servers/worker-process';

const log = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);

export async function waitForPollers(client: Client, taskQueue: string, workers: WorkerProcess[], timeoutMs = 180_000): Promise<void> {
  const { TaskQueueType } = temporal.api.enums.v1;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const identities = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) => {
      const r = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
      return new Set((r.pollers ?? []).map((p) => p.identity));
    };
    const [wf, act] = await Promise.all([identities(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW), identities(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)]);
    if (wf.size >= workers.length && act.size >= workers.length) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the workers are not polling after ${timeoutMs / 1000} s; logs:\n${workers.map((w) => `--- ${w.log}\n${w.output().slice(-2000)}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface RoundRun {
  kind: RoundInput['kind'];
  workflowId: string;
  wallMs: number;
  outcomes: MailboxOutcome[];
}

export async function runRound(client: Client, taskQueue: string, input: RoundInput): Promise<RoundRun> {
  const workflowId = `bench-scale-${input.kind}-${randomUUID().slice(0, 8)}`;
  log(`${input.kind}: ${input.mailboxes.length} mailboxes (concurrency ${input.spec.sync.concurrency}) …`);
  const started = performance.now();
  const handle = await client.workflow.start<typeof mailboxRound>('mailboxRound', { taskQueue, workflowId, args: [input] });
  const outcomes = await handle.result();
  const wallMs = performance.now() - started;
  log(`${input.kind}: done in ${secs(wallMs)} s`);
  return { kind: input.kind, workflowId, wallMs, outcomes };
}

export interface RunHistory {
  workflowId: string;
  runId: string;
  status: WorkflowExecutionStatusName;
  events: number;
  bytes: number;
  /** Failed activity attempts (each retried, or given up after the last attempt): their messages. */
  activityFailures: string[];
  /** Seconds from an activity's scheduling to its completion, every completed activity. */
  activitySeconds: number[];
}

const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) + (t.nanos ?? 0) / 1e9 : NaN);

/** Every run in the namespace with its history length (describe, not the visibility copy). */
export async function histories(client: Client, expectedWorkflows: string[]): Promise<RunHistory[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs: RunHistory[] = [];
    for await (const wf of client.workflow.list()) {
      const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
      const d = await handle.describe();
      const events = await handle.fetchHistory().then(
        (h) => h.events ?? [],
        (err: unknown) => {
          log(`  history of ${wf.workflowId} run ${wf.runId} not read: ${(err as Error).message}`);
          return [];
        },
      );
      const scheduledAt = new Map<string, number>();
      const activitySeconds: number[] = [];
      const activityFailures: string[] = [];
      for (const e of events) {
        if (e.activityTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), seconds(e.eventTime));
        const done = e.activityTaskCompletedEventAttributes;
        if (done) activitySeconds.push(seconds(e.eventTime) - (scheduledAt.get(String(done.scheduledEventId)) ?? NaN));
        // Retried attempts leave no event of their own: the started event carries the attempt and the last failure.
        const started = e.activityTaskStartedEventAttributes;
        if (started && (started.attempt ?? 1) > 1) activityFailures.push(started.lastFailure?.message ?? '?');
        const failed = e.activityTaskFailedEventAttributes;
        if (failed) activityFailures.push(failed.failure?.message ?? '?');
      }
      runs.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        status: d.status.name,
        events: d.historyLength,
        bytes: d.historySize ?? NaN,
        activityFailures,
        activitySeconds,
      });
    }
    // Visibility lags a little behind: wait until each round's last run shows as closed.
    const settled = expectedWorkflows.every((id) => runs.some((r) => r.workflowId === id && r.status === 'COMPLETED'));
    if (settled || Date.now() > deadline) return runs;
    await new Promise((r) => setTimeout(r, 500));
  }
}
