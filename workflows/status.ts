// What an operator sees of a migration: the `status` query's answer and the final report.
import { defineQuery } from '@temporalio/workflow';
import type { AuditEntry, DnsRecordSet } from './audit';
import type { AuditOmitted } from './audit-log';
import type { DayBytes } from './byte-budget';
import type { MailboxOutcome, MailboxSize, RoundKind } from './round-outcome';
import type { GateName } from './spec';
import type { RelayHold, WaveMailHold } from './mail-hold';
import type { WaveTotals } from './wave-totals';

export interface RoundSummary {
  kind: RoundKind;
  wave?: string;
  startedAt: string;
  durationMs: number;
  mailboxes: number;
  /** The first failed mailboxes (at most ROUND_FAILED_NAMED)… */
  failed: string[];
  /** …and how many failed (absent from rounds before it was counted: failed.length). */
  failedCount?: number;
  copied: number;
  deleted: number;
}

/** How many failed mailboxes a round's summary names: the `mailbox` query and `mailshift report` have each one. */
export const ROUND_FAILED_NAMED = 20;

/** How many mailboxes of a round failed. */
export const failedCount = (r: RoundSummary): number => r.failedCount ?? r.failed.length;

export interface MailboxState {
  wave: string;
  usersOnHost2: boolean;
  /** Messages preflight (or the mailbox's first sync) found on host2 that host1 lacks (users' own): host2 is never deleted on. */
  ownMailOnHost2?: number;
  /** A sync of this mailbox has completed: host2 holds what mailshift copied. */
  synced?: boolean;
  /** When the mailbox's last verified final sync started: a rollback copies host2's mail back from here. */
  finalSyncFrom?: string;
  /** When its last successful final sync or post-sync started: the next post-sync looks back to here. */
  syncedFrom?: string;
  /** How far back post-syncs may have removed mail from host1 (what host2 holds): a rollback copies back from here. */
  host1DeletedSince?: string;
  /** mx-first: messages the back-fill rounds copied from host1, summed over the rounds. */
  backfilled?: number;
  /** Preflight's size audit: host1's size against host2's quota and message size limit. */
  size?: MailboxSize;
  /** Message bytes its syncs copied on the day named, kept when a daily byte budget applies (byte-budget.ts). */
  bytesToday?: DayBytes;
  /** The server throttled this mailbox in the round under way (or its daily byte budget is spent): it is tried again then (throttle.ts). */
  throttledUntil?: string;
  /** What the server answered. */
  throttleReason?: string;
  last?: MailboxOutcome & { kind: RoundKind };
  /** In answers only (the mailbox query, its pages, the report): access to host1 was cut (the runbook keeps cuts apart). */
  accessCut?: boolean;
}

export interface MigrationStatus {
  name: string;
  scenario: string;
  phase: string;
  openGate?: GateName;
  /** Why the runbook waits at gate `dns-conflict`: the record, what was expected and found. */
  conflict?: string;
  /** Why the runbook waits at gate `step-failed`: the step, its error, what is already changed. */
  failure?: { step: string; error: string; changed: string[]; choices: string };
  /** Why the runbook waits at gate `canary`: where the canary went, or why it went nowhere. */
  canary?: string;
  paused: boolean;
  nextTimer?: { what: string; at: string };
  /** At most STATUS_MAILBOXES (wave-totals.ts), the failing first; one mailbox: the `mailbox` query. */
  mailboxes: Record<string, MailboxState>;
  /** How many mailboxes `mailboxes` leaves out. */
  mailboxesOmitted?: number;
  /** Per-mailbox figures an earlier run could not carry through continue-as-new (mailbox-columns.ts): shown as absent since. */
  mailboxFiguresDropped?: string[];
  /** Counts per wave, over every mailbox. */
  waves: WaveTotals[];
  /** Waves whose incoming mail is or was held on host1's MTA (spec mailFlow.hold): messages held, and whether released to host2. */
  mailHold?: Record<string, WaveMailHold>;
  /** Hold-and-release: what the holding relay holds, and where it was released. */
  relayHold?: RelayHold;
  rounds: RoundSummary[];
  /** The last pre-sync round's duration: what the final sync should take. */
  finalSyncEstimateMs?: number;
  /** The scenario's steps in order (workflows/steps.ts), and the index of the one the runbook is at (-1 before the first). */
  steps: string[];
  currentStep: number;
  /** The records the runbook changes, as they were before its first change and as they are now (a deleted one is absent). */
  dns: { before: DnsRecordSet[]; now: DnsRecordSet[] };
  /** The audit log as kept (bounded: audit-log.ts)… */
  audit: AuditEntry[];
  /** …and what was left out of it, when anything was. */
  auditOmitted?: AuditOmitted;
}

/** The final report: the status with every mailbox, up to REPORT_MAILBOXES (the failing first; the others: `mailboxes` query). */
export interface MigrationReport extends MigrationStatus {
  outcome: 'completed' | 'rolled-back';
}

/** How many mailboxes the workflow's result lists (~150 bytes each): `mailshift report` pages through the rest. */
export const REPORT_MAILBOXES = 1_000;

/** A page of the mailboxes in the list's order, and how many there are. */
export interface MailboxesPage {
  total: number;
  mailboxes: Record<string, MailboxState>;
}

export const statusQuery = defineQuery<MigrationStatus>('status');
/** One mailbox's state, by its host1 user (null when the migration has no such mailbox). */
/** Mailboxes from an offset, at most 1,000 (a query's answer stays far under gRPC's 4 MB): what `mailshift report` exports. */
export const mailboxesQuery = defineQuery<MailboxesPage, [{ offset: number; limit: number }]>('mailboxes');
export const MAILBOXES_PAGE = 1_000;
export const mailboxQuery = defineQuery<(MailboxState & { mailbox: string }) | null, [string]>('mailbox');
