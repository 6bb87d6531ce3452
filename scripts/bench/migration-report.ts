// The figures `npm run bench:orchestration` and `npm run bench:scale -- --migration` print
// for a whole migration, each against its target (issue #15): its wall time, the largest
// history of any run, the largest payload, the rounds' orchestration overhead per mailbox,
// the workers' memory.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RoundInput } from '../../workflows/mailbox-round';
import { PAYLOAD_BUDGET_BYTES } from '../../workflows/payload-budget';
import { orchestrationFigures, type RunFigures } from './orchestration-figures';
import type { Memory } from './scale-memory';

export const HISTORY_TARGET = 10_000;
export const PAYLOAD_TARGET = PAYLOAD_BUDGET_BYTES;
/** A run's history in bytes: Temporal warns past 10 MB and terminates the workflow at 50 MB. */
export const HISTORY_BYTES_TARGET = 10 * 1024 * 1024;
/** Orchestration overhead per mailbox per round on this 2-core machine, ms. */
export const OVERHEAD_TARGET_MS = 20;

/** A round page's workflow types: the runbook's (outcomes packed) and a round started on its own. */
export const ROUND_TYPES = ['mailboxRoundPage', 'mailboxRound'];

export interface RoundFigure {
  workflowId: string;
  /** presync-2, final-3-everyone, …: the round's id below the runbook's. */
  name: string;
  mailboxes: number;
  runs: number;
  startMs: number;
  /** Its first run's start to its last run's end. */
  wallMs: number;
}

/** Each mailbox round of the migration (children of type mailboxRoundPage), with its mailboxes as its input names them. */
export async function roundFigures(client: Client, runs: RunFigures[]): Promise<RoundFigure[]> {
  const byId = new Map<string, RunFigures[]>();
  for (const r of runs.filter((x) => ROUND_TYPES.includes(x.workflowType))) byId.set(r.workflowId, [...(byId.get(r.workflowId) ?? []), r]);
  const rounds: RoundFigure[] = [];
  for (const [workflowId, rs] of byId) {
    const first = rs.find((r) => !r.previousRunId) ?? rs[0];
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId: first.runId },
      maximumPageSize: 1,
    });
    const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = payload ? defaultPayloadConverter.fromPayload<RoundInput>(payload) : undefined;
    rounds.push({
      workflowId,
      name: workflowId.slice(workflowId.lastIndexOf('/') + 1),
      mailboxes: input?.mailboxes.length ?? NaN,
      runs: rs.length,
      startMs: Math.min(...rs.map((r) => r.startMs)),
      wallMs: Math.max(...rs.map((r) => r.endMs)) - Math.min(...rs.map((r) => r.startMs)),
    });
  }
  return rounds.sort((a, b) => a.startMs - b.startMs);
}

export interface MigrationFigures {
  mailboxes: number;
  /** completed, or how it failed. */
  outcome: string;
  wallMs: number;
  runs: RunFigures[];
  rounds: RoundFigure[];
  workers: { label: string; memory?: Memory }[];
  /** The mailbox list read and validated (as validateSpec does), ms. */
  listValidationMs?: number;
  /** Whether the activities are instant fakes: the rounds' time per mailbox is then the orchestration's overhead, judged against its target. */
  fakeActivities: boolean;
}

const log = (s: string) => process.stdout.write(`${s}\n`);
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** Overhead per mailbox per round: the rounds' wall time over their mailboxes. */
export const overheadMs = (rounds: RoundFigure[]) => rounds.reduce((n, r) => n + r.wallMs, 0) / rounds.reduce((n, r) => n + r.mailboxes, 0);

export function printMigrationFigures(m: MigrationFigures): void {
  const row = (k: string, v: string) => log(`${k.padEnd(40)} ${v}`);
  const completed = m.outcome === 'completed';
  // A figure within its target proves little of a migration that stopped half-way.
  const verdict = (ok: boolean) => (!ok ? 'MISS' : completed ? 'PASS' : 'within target so far (not completed)');
  log('');
  row('mailboxes', `${m.mailboxes.toLocaleString('en')}`);
  row('outcome', m.outcome);
  row('wall time', `${f1(m.wallMs / 1000)} s${completed ? ` (${f1(m.mailboxes / (m.wallMs / 60_000))} mailboxes/min)` : ''}`);
  if (m.listValidationMs !== undefined) row('mailbox list read and validated', `${f1(m.listValidationMs / 1000)} s`);
  if (m.runs.length) {
    const o = orchestrationFigures(m.runs);
    const runbookRuns = m.runs.filter((r) => !r.workflowId.includes('/')).length;
    row('workflow runs', `${o.runs} (runbook ${runbookRuns}, children ${o.runs - runbookRuns})`);
    row(
      `largest history (target ≤ ${HISTORY_TARGET.toLocaleString('en')} events)`,
      `${o.longest.events.toLocaleString('en')} events, ${verdict(o.longest.events <= HISTORY_TARGET)} (${o.longest.workflowId} run ${o.longest.runId})`,
    );
    row(
      `heaviest history (target ≤ ${mb(HISTORY_BYTES_TARGET)})`,
      `${mb(o.heaviest.bytes)}, ${verdict(o.heaviest.bytes <= HISTORY_BYTES_TARGET)} (${o.heaviest.workflowId}, ${o.heaviest.events} events)`,
    );
    const p = o.largestPayload;
    row(
      `largest payload (target ≤ ${mb(PAYLOAD_TARGET)})`,
      p ? `${mb(p.bytes)}, ${verdict(p.bytes <= PAYLOAD_TARGET)} (${p.event} #${p.eventId}${p.names ? ` ${p.names}` : ''} of ${p.workflowId})` : 'none',
    );
  } else row('histories', 'none read');
  for (const r of m.rounds)
    row(`  round ${r.name}`, `${r.mailboxes} mailboxes, ${f1(r.wallMs / 1000)} s, ${r.runs} run(s), ${f1(r.wallMs / r.mailboxes)} ms/mailbox`);
  if (m.rounds.length) {
    const ms = overheadMs(m.rounds);
    if (m.fakeActivities)
      row(`overhead per mailbox per round (≤ ${OVERHEAD_TARGET_MS} ms)`, `${f1(ms)} ms, ${verdict(ms <= OVERHEAD_TARGET_MS)} (${m.rounds.length} rounds)`);
    // Real syncs: the time is the IMAP work's as much as the orchestration's (bench:orchestration measures that alone).
    else row('round time per mailbox per round', `${f1(ms)} ms (${m.rounds.length} rounds, real syncs)`);
  }
  for (const w of m.workers)
    row(
      `${w.label} peak RSS (VmHWM)`,
      w.memory ? `${f1(w.memory.peakMb)} MB (now ${f1(w.memory.rssMb)} MB; ${w.memory.name} pid ${w.memory.pid})` : 'n/a (exited)',
    );
}
