// What a mailbox round reports per mailbox: its outcome, and its size audit in the compact
// form the runbook keeps (a mailbox's state stays small with thousands of them).
import type { SizeAudit, SyncState } from '../activities/imap/types';
import type { DayBytes } from './byte-budget';
import type { SyncKind } from './phase-rules';

export type RoundKind = SyncKind | 'verify';

export interface MailboxOutcome {
  mailbox: string;
  /** The activity succeeded (verification may still have found messages missing). */
  ok: boolean;
  copied: number;
  deleted: number;
  /** verify / final: messages on host1 not found on host2 (final: of those that existed when its sync started). */
  missing: number;
  /** verify: messages on host2 not found on host1; a sync that did not delete on host2: those it left there. */
  extra?: number;
  /** A sync that deleted on host2: messages that arrived there since its last sync and host1 lacks, kept (users' own). */
  kept?: number;
  error?: string;
  /** What the next round needs to skip unchanged folders (absent when it did not fit the payload budget). */
  state?: SyncState;
  /** verify: the size audit, compact (the runbook keeps it per mailbox). */
  size?: MailboxSize;
  /** Message bytes its syncs copied today, when a daily byte budget applies (byte-budget.ts). */
  bytesToday?: DayBytes;
}

/** A mailbox's size audit as the runbook keeps it (bytes; a mailbox's state stays small with thousands of them). */
export interface MailboxSize {
  /** host1's messages within the folder rules and filters. */
  host1Bytes: number;
  /** Of those, not yet on host2: what the next sync copies. */
  toCopyBytes: number;
  /** host1's largest message. */
  largest: number;
  /** What host2's storage quota leaves (limit − usage); absent without a quota. */
  quotaFree?: number;
  /** The largest message host2 accepts (APPENDLIMIT); absent when it announces none. */
  appendLimit?: number;
  /** Why the mailbox does not fit on host2, in numbers; absent when it fits. */
  doesNotFit?: string;
}

export function compactSize(a: SizeAudit): MailboxSize {
  return {
    host1Bytes: a.host1Bytes,
    toCopyBytes: a.toCopyBytes,
    largest: a.largest,
    ...(a.quota && { quotaFree: Math.max(0, a.quota.limit - a.quota.usage) }),
    ...(a.appendLimit !== null && { appendLimit: a.appendLimit }),
    ...(!a.fits && { doesNotFit: a.reasons.join('; ') }),
  };
}
