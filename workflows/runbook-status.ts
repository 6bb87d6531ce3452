// What an operator sees of the runbook: the `status` query's answer, the final report, the
// `mailboxes` query's pages, and the throttle notices rounds send it (shown, never obeyed).
import { log } from '@temporalio/workflow';
import type { DetailsShown } from './current-details';
import { finalSyncEstimateMs } from './estimate';
import type { Runbook } from './runbook';
import { MAILBOXES_PAGE, REPORT_MAILBOXES, type MailboxesPage, type MailboxState, type MigrationReport, type MigrationStatus } from './status';
import { stepsOf } from './steps';
import { clip, TEXT_MAX_CHARS } from './text-bounds';
import type { ThrottleNotice } from './throttled-mailboxes';
import { shownMailboxes, waveTotals } from './wave-totals';

// The users cut from host1, as a set: rebuilt only when the runbook's list has grown.
const cutSets = new WeakMap<Runbook, { size: number; users: Set<string> }>();
function cutUsers(run: Runbook): Set<string> {
  let c = cutSets.get(run);
  if (c?.size !== run.accessCut.length) cutSets.set(run, (c = { size: run.accessCut.length, users: new Set(run.accessCut) }));
  return c.users;
}

/** A mailbox's record as the answers give it: its state, and whether its access to host1 is cut. */
export function recordOf(run: Runbook, user: string): MailboxState {
  const m = run.mailboxes[user];
  return cutUsers(run).has(user) ? { ...m, accessCut: true } : m;
}

const records = (run: Runbook, users: Iterable<string>) => Object.fromEntries([...users].map((u) => [u, recordOf(run, u)]));

export function statusOf(run: Runbook): MigrationStatus {
  const { shown, omitted } = shownMailboxes(run.mailboxes);
  return {
    name: run.spec.name,
    scenario: run.spec.scenario,
    phase: run.phase,
    openGate: run.gates.openGate,
    conflict: run.conflict,
    failure: run.failure,
    canary: run.canary,
    paused: run.gates.paused,
    nextTimer: run.nextTimer,
    mailboxes: records(run, Object.keys(shown)),
    ...(omitted && { mailboxesOmitted: omitted }),
    ...(run.figuresDropped.length && { mailboxFiguresDropped: run.figuresDropped }),
    waves: waveTotals(run.mailboxes, run.accessCut),
    ...(Object.keys(run.mailHold).length && { mailHold: run.mailHold }),
    ...(run.relayHold && { relayHold: run.relayHold }),
    rounds: run.rounds,
    finalSyncEstimateMs: finalSyncEstimateMs(run.rounds),
    steps: stepsOf(run.spec.scenario).map((s) => s.label),
    currentStep: run.currentStep,
    dns: { before: run.originalRecords, now: [...run.currentRecords.values()].filter((r) => r !== null) },
    audit: run.audit.entries,
    ...(run.audit.omitted && { auditOmitted: run.audit.omitted }),
  };
}

/** What the UI's details show (current-details.ts): the mailboxes counted per wave, not listed. */
export function detailsOf(run: Runbook): DetailsShown {
  const { phase, nextTimer, conflict, failure, canary, relayHold } = run;
  const mailHold = Object.keys(run.mailHold).length ? run.mailHold : undefined;
  return {
    phase,
    paused: run.gates.paused,
    openGate: run.gates.openGate,
    waves: waveTotals(run.mailboxes, run.accessCut),
    mailHold,
    relayHold,
    nextTimer,
    conflict,
    failure,
    canary,
  };
}

/** The status with more mailboxes than the status query (the failing first); `mailshift report` pages through the rest. */
export function reportOf(run: Runbook, outcome: MigrationReport['outcome']): MigrationReport {
  const { shown, omitted } = shownMailboxes(run.mailboxes, REPORT_MAILBOXES);
  const report: MigrationReport = { ...statusOf(run), mailboxes: records(run, Object.keys(shown)), outcome };
  delete report.mailboxesOmitted;
  return omitted ? { ...report, mailboxesOmitted: omitted } : report;
}

/** A page of the mailboxes in the list's order (the `mailboxes` query): any offset and limit, bounded. */
export function mailboxesPageOf(run: Runbook, p: { offset: number; limit: number }): MailboxesPage {
  const offset = Math.max(0, Math.floor(Number(p?.offset) || 0));
  const limit = Math.min(MAILBOXES_PAGE, Math.max(0, Math.floor(Number(p?.limit) || 0)));
  const page = run.roster.slice(offset, offset + limit).map(({ user }) => user);
  return { total: run.roster.length, mailboxes: records(run, page) };
}

/**
 * A round's notices that servers throttled mailboxes: a batch, or one notice from a round
 * started before batches. Anyone could send one: each is checked, and only shown.
 */
export function noteThrottles(run: Runbook, notices: ThrottleNotice[] | ThrottleNotice): void {
  const batch: unknown[] = Array.isArray(notices) ? notices : [notices];
  const ignored = batch.filter((n) => !noteThrottle(run, n)).length;
  if (ignored) log.warn('ignored malformed mailboxThrottled notices', { ignored, of: batch.length });
  if (ignored < batch.length) run.show();
}

/** Notes one notice on its mailbox; false when it is no notice of a mailbox of the migration. */
function noteThrottle(run: Runbook, n: unknown): boolean {
  const { mailbox, until, reason } = (n ?? {}) as Partial<Record<keyof ThrottleNotice, unknown>>;
  if (typeof mailbox !== 'string' || !Object.hasOwn(run.mailboxes, mailbox)) return false;
  if (typeof until !== 'string' || Number.isNaN(Date.parse(until))) return false;
  const m = run.mailboxes[mailbox];
  m.throttledUntil = new Date(until).toISOString();
  m.throttleReason = clip(typeof reason === 'string' ? reason : '', TEXT_MAX_CHARS);
  return true;
}
