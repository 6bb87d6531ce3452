// The incremental state of a mailbox pair as a sync leaves it: each folder's counters, the
// marks of users' own mail on host2, and the checkpoint a retried attempt resumes from.
// Plain JSON like every activity type (types.ts re-exports them).
import type { FolderSyncResult, SkipReason } from './types';

/** A folder's counters as STATUS reports them (RFC 3501 + CONDSTORE, RFC 7162). */
export interface MailboxSnapshot {
  /** UIDVALIDITY, a bigint as a decimal string. */
  uidValidity: string;
  uidNext: number;
  /** HIGHESTMODSEQ, a bigint as a decimal string. */
  highestModseq: string;
  messages: number;
}

/**
 * One destination folder known to be in step with its source folder(s): every in-scope
 * host1 message has its copy on host2 with the same flags, and host2 holds nothing else in
 * scope. Recorded only when the run proved it (and both servers have CONDSTORE): never for
 * a folder holding users' own mail (kept extras), which each run compares in full.
 */
export interface FolderSyncState {
  /** host2's folder name. */
  destination: string;
  destinationAt: MailboxSnapshot;
  /** host1 folder(s) feeding it, in order, with their snapshots. */
  sources: { path: string; at: MailboxSnapshot }[];
  /** Digest of the settings that decide which messages are in scope (filters, folders). */
  scope: string;
  /** In-scope messages on each side (equal: in step) when the state was taken. */
  messages: number;
  /** Messages left out by the filters then. */
  skipped?: Partial<Record<SkipReason, number>>;
}

/**
 * The incremental state of one mailbox pair: plain JSON, a few hundred bytes per folder
 * and no per-message lists. Workers keep nothing on disk: the workflow carries it from one
 * round to the next (`SyncResult.state` → the next `SyncRequest.previous`).
 */
export interface SyncState {
  version: 1;
  /** Digest of host1/host2 endpoints and logins (no secret): a state of another pair is ignored. */
  pair: string;
  /** When the run that produced it started (ISO 8601). */
  takenAt: string;
  folders: FolderSyncState[];
  /**
   * Per host2 folder, which messages arrived there from someone else (users working on
   * host2): never deleted by deleteOnDestination (see destination-marks.ts). Kept for
   * every folder synced, in step or not; absent from states of earlier releases.
   */
  destinationMarks?: DestinationMark[];
}

/**
 * How far a host2 folder's messages are accounted for. Under `uidValidity`, messages with a
 * UID at or above `uidNext` arrived after the run that recorded it, and not from it; those
 * in a `kept` range arrived from someone else before. Either is users' own mail when host1
 * has no match for it.
 */
export interface DestinationMark {
  /** host2's folder name. */
  destination: string;
  /** UIDVALIDITY, a bigint as a decimal string. */
  uidValidity: string;
  uidNext: number;
  /** [from, to) UID ranges that arrived on host2 from someone else between two runs. */
  kept?: [number, number][];
}

/**
 * What an interrupted attempt leaves in its last heartbeat, so the retry skips the folders
 * it had finished (when they have not changed since) and reports them as done.
 */
export interface SyncCheckpoint {
  state: SyncState;
  /** Results of the folders finished in step, by destination path. */
  folders: FolderSyncResult[];
}
