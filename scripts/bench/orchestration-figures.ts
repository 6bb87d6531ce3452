// What a migration costs Temporal, read back from its histories: every run of the runbook
// (its continued-as-new runs) and of every child below it (rounds, notice rounds, their
// own continued runs), each with its events, its bytes and its largest payload (workflow
// input, activity input and result, child input and result, signal, update, continue-as-new
// input: whatever the history holds). Found by walking the histories themselves (child
// started events, continued-as-new events), not visibility: the time-skipping test server
// has none, and the dev server's lags behind. For `npm run bench:orchestration`,
// `npm run bench:scale` and test/workflows/bounds.test.ts.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface PayloadFigure {
  bytes: number;
  workflowId: string;
  runId: string;
  eventId: number;
  /** The event's type, e.g. EVENT_TYPE_WORKFLOW_EXECUTION_STARTED. */
  event: string;
  /** What it names: the child's workflow id, the activity, the signal or update. */
  names?: string;
}

/** What an event names, to tell which of many alike carried a payload. */
function namesOf(e: HistoryEvent): string | undefined {
  return (
    e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ??
    e.activityTaskScheduledEventAttributes?.activityType?.name ??
    e.markerRecordedEventAttributes?.markerName ??
    e.workflowExecutionSignaledEventAttributes?.signalName ??
    e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
    e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId ??
    undefined
  );
}

export interface RunFigures {
  workflowId: string;
  runId: string;
  workflowType: string;
  events: number;
  /** The history's size as the events encode (what Temporal's history size limit counts). */
  bytes: number;
  /** Its largest single payload (none: a history without payloads). */
  largestPayload?: PayloadFigure;
  /** Its first and last event's times (epoch ms): its wall time. */
  startMs: number;
  endMs: number;
  /** Seconds from an activity's scheduling to its completion, every completed activity. */
  activitySeconds: number[];
  /** Failed activity attempts (each retried, or given up after the last attempt): their messages. */
  activityFailures: string[];
  /** Children it started (each the first run of its workflow id). */
  children: { workflowId: string; runId: string }[];
  /** The run it continued as, if it did. */
  nextRunId?: string;
  /** The run it continued from, if any. */
  previousRunId?: string;
}

/** A history page: small enough that a page of large events stays under gRPC's message limits. */
const PAGE_SIZE = 100;

const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) + (t.nanos ?? 0) / 1e9 : NaN);
const eventName = (type: number | null | undefined) => temporal.api.enums.v1.EventType[type ?? 0] ?? String(type);

/** Each payload's data in an event's attributes, wherever it sits (inputs, results, headers, failure details). */
function payloadSizes(value: unknown, out: number[]): number[] {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && 'metadata' in v) out.push(v.data.length);
  else for (const key of Object.keys(v)) payloadSizes(v[key], out);
  return out;
}

export async function historyOf(client: Client, workflowId: string, runId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: PAGE_SIZE,
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** One run's figures from its history. */
export async function readRun(client: Client, workflowId: string, runId: string): Promise<RunFigures> {
  const events = await historyOf(client, workflowId, runId);
  const run: RunFigures = {
    workflowId,
    runId,
    workflowType: '?',
    events: events.length,
    bytes: 0,
    startMs: NaN,
    endMs: NaN,
    activitySeconds: [],
    activityFailures: [],
    children: [],
  };
  const scheduledAt = new Map<string, number>();
  for (const e of events) {
    run.bytes += temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    for (const bytes of payloadSizes(e, [])) {
      if (bytes > (run.largestPayload?.bytes ?? -1))
        run.largestPayload = { bytes, workflowId, runId, eventId: Number(e.eventId), event: eventName(e.eventType), names: namesOf(e) };
    }
    const started = e.workflowExecutionStartedEventAttributes;
    if (started) {
      run.workflowType = started.workflowType?.name ?? '?';
      run.previousRunId = started.continuedExecutionRunId || undefined;
    }
    const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (child?.workflowId && child.runId) run.children.push({ workflowId: child.workflowId, runId: child.runId });
    const continued = e.workflowExecutionContinuedAsNewEventAttributes;
    if (continued?.newExecutionRunId) run.nextRunId = continued.newExecutionRunId;
    if (e.activityTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), seconds(e.eventTime));
    const done = e.activityTaskCompletedEventAttributes;
    if (done) run.activitySeconds.push(seconds(e.eventTime) - (scheduledAt.get(String(done.scheduledEventId)) ?? NaN));
    // Retried attempts leave no event of their own: the started event carries the attempt and the last failure.
    const attempt = e.activityTaskStartedEventAttributes;
    if (attempt && (attempt.attempt ?? 1) > 1) run.activityFailures.push(attempt.lastFailure?.message ?? '?');
    const failed = e.activityTaskFailedEventAttributes;
    if (failed) run.activityFailures.push(failed.failure?.message ?? '?');
  }
  if (events.length) [run.startMs, run.endMs] = [seconds(events[0].eventTime) * 1000, seconds(events.at(-1)!.eventTime) * 1000];
  return run;
}

/**
 * Every run of a migration: the runbook's runs (from its first, given or found by walking
 * back from the latest) and, below each, every child's runs, depth first.
 */
export async function migrationRuns(client: Client, workflowId: string, firstRunId?: string): Promise<RunFigures[]> {
  let runId = firstRunId;
  if (!runId) {
    // Walk back from the latest run to the first.
    runId = (await client.workflow.getHandle(workflowId).describe()).runId;
    for (let r = await readRun(client, workflowId, runId); r.previousRunId; r = await readRun(client, workflowId, r.previousRunId)) runId = r.previousRunId;
  }
  const runs: RunFigures[] = [];
  const pending = [{ workflowId, runId }];
  while (pending.length) {
    const next = pending.pop()!;
    const run = await readRun(client, next.workflowId, next.runId);
    runs.push(run);
    if (run.nextRunId) pending.push({ workflowId: run.workflowId, runId: run.nextRunId });
    pending.push(...run.children);
  }
  return runs;
}

export interface OrchestrationFigures {
  runs: number;
  /** The run with the most events. */
  longest: RunFigures;
  /** The run with the most bytes of history. */
  heaviest: RunFigures;
  largestPayload?: PayloadFigure;
}

export function orchestrationFigures(runs: RunFigures[]): OrchestrationFigures {
  if (!runs.length) throw new Error('no runs to measure');
  const max = <T>(items: T[], by: (t: T) => number) => items.reduce((a, b) => (by(b) > by(a) ? b : a));
  const withPayload = runs.flatMap((r) => (r.largestPayload ? [r.largestPayload] : []));
  return {
    runs: runs.length,
    longest: max(runs, (r) => r.events),
    heaviest: max(runs, (r) => r.bytes),
    largestPayload: withPayload.length ? max(withPayload, (p) => p.bytes) : undefined,
  };
}
