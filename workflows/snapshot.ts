// What a continued run of the runbook carries over from the run before, so that its
// history starts small again. Only the runbook's long loops continue-as-new.
import type { SyncState } from '../activities/imap/types';
import type { AuditEntry, DnsRecordSet } from './audit';
import type { AuditOmitted } from './audit-log';
import type { ControlRequest } from './gates';
import type { RelayHold, WaveMailHold } from './mail-hold';
import { toColumns, type MailboxColumns } from './mailbox-columns';
import type { Runbook } from './runbook';
import type { FinalSyncOutcome } from './phase-rules';
import type { MigrationStatus, RoundSummary } from './status';

/** Where the runbook's long loops hand over to a fresh run: they are the only places it does. */
export type ResumeStage = 'presync' | 'cutover' | 'backfill' | 'postsync';

export interface RunbookSnapshot {
  stage: ResumeStage;
  audit: AuditEntry[];
  /** Absent in snapshots from before the audit log was bounded. */
  auditOmitted?: AuditOmitted;
  rounds: RoundSummary[];
  /** Each mailbox's state, access cut and final sync, by column (mailbox-columns.ts)… */
  columns?: MailboxColumns;
  /** …or, in snapshots from before the columns, as maps by user. */
  mailboxes?: MigrationStatus['mailboxes'];
  accessCut?: string[];
  finalSync?: FinalSyncOutcome;
  originalRecords: DnsRecordSet[];
  currentRecords: [string, DnsRecordSet | null][];
  mxOnHost2: boolean;
  syncStates: Record<string, SyncState>;
  quietRounds: number;
  /** Absent in snapshots from before mail could be held. */
  mailHold?: Record<string, WaveMailHold>;
  /** Hold-and-release only. */
  relayHold?: RelayHold;
  paused: boolean;
  /** A rollback asked for just before the hand-over: the continued run takes the back-out path. */
  rollbackRequested?: ControlRequest;
}

/** What a continued run needs of this one (its sync states are added within the payload budget). */
export function snapshotOf(run: Runbook, stage: ResumeStage): RunbookSnapshot {
  return {
    stage,
    audit: run.audit.entries,
    auditOmitted: run.audit.omitted,
    rounds: run.rounds,
    columns: toColumns(run.roster, run),
    originalRecords: run.originalRecords,
    currentRecords: [...run.currentRecords],
    mxOnHost2: run.mxOnHost2,
    syncStates: {},
    quietRounds: run.quietRounds,
    mailHold: run.mailHold,
    ...(run.relayHold && { relayHold: run.relayHold }),
    paused: run.gates.paused,
    rollbackRequested: run.gates.rollbackRequested,
  };
}
