// What a continued run of the runbook carries over from the run before, so that its
// history starts small again. Only the runbook's long loops continue-as-new.
import type { SyncState } from '../activities/imap/types';
import type { AuditEntry, DnsRecordSet } from './audit';
import type { AuditOmitted } from './audit-log';
import type { ControlRequest } from './gates';
import type { RelayHold, WaveMailHold } from './mail-hold';
import type { FinalSyncOutcome } from './phase-rules';
import type { MigrationStatus, RoundSummary } from './status';

/** Where the runbook's long loops hand over to a fresh run: they are the only places it does. */
export type ResumeStage = 'presync' | 'backfill' | 'postsync';

export interface RunbookSnapshot {
  stage: ResumeStage;
  audit: AuditEntry[];
  /** Absent in snapshots from before the audit log was bounded. */
  auditOmitted?: AuditOmitted;
  rounds: RoundSummary[];
  mailboxes: MigrationStatus['mailboxes'];
  originalRecords: DnsRecordSet[];
  currentRecords: [string, DnsRecordSet | null][];
  mxOnHost2: boolean;
  accessCut: string[];
  finalSync?: FinalSyncOutcome;
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
