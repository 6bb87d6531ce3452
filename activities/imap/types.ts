// What the IMAP activities take and return. Everything here is plain JSON (it travels
// through Temporal's history): no Dates, no bigints, no Buffers, and never a secret —
// logins carry credential *references* (env:NAME, file:/path) resolved on the worker.

import type { SpecialUse } from './special-use';
import type { SyncCheckpoint, SyncState } from './sync-state-types';

/** host1 is the old server we copy from, host2 the new one (imapsync's words). */
export type ImapSide = 'host1' | 'host2';

export interface ImapEndpoint {
  host: string;
  port: number;
  /** implicit: TLS from the first byte (port 993); starttls: upgrade first, required; none: cleartext. */
  tls: 'implicit' | 'starttls' | 'none';
  /** Check the server certificate (default true). Turn off only for a known self-signed host. */
  verifyCertificate?: boolean;
  /** Name for SNI and the certificate check when `host` is an IP (syncing by IP before the DNS moves). */
  servername?: string;
}

export interface ImapLogin {
  /** The mailbox owner's login. */
  user: string;
  /** A credential reference (env:NAME or file:/path): the password, or the OAuth2 access token (none with oauth2). */
  credential?: string;
  /**
   * password (default); xoauth2: the credential is an access token; oauth2: tokens come from
   * `oauth2`'s authorization server (OAUTHBEARER when offered, else XOAUTH2, for both).
   */
  mechanism?: 'password' | 'xoauth2' | 'oauth2';
  oauth2?: OAuth2Client;
  /**
   * Admin login that opens `user`'s mailbox with the admin's credential. Sent as SASL PLAIN
   * with authzid=user (works with Dovecot, Cyrus, ...) unless `masterUserSeparator` is set.
   */
  masterUser?: string;
  /** Dovecot-style master login instead: LOGIN `user<separator>masterUser`, e.g. `*`. */
  masterUserSeparator?: string;
}

/** Where access tokens come from: secrets by reference, as everywhere. */
export interface OAuth2Client {
  /** Found by OpenID discovery; or `tokenEndpoint` directly. */
  issuer?: string;
  tokenEndpoint?: string;
  clientId: string;
  clientSecret: string;
  grant: 'refresh_token' | 'client_credentials';
  refreshToken?: string;
  scope?: string;
}

export interface ImapAccount {
  endpoint: ImapEndpoint;
  login: ImapLogin;
}

/**
 * Folder rules, written with logical folder names: no namespace prefix, `/` between levels,
 * whatever the servers use (host1 `INBOX.Archive.2024` is `Archive/2024`, INBOX is `INBOX`).
 */
export interface FolderRules {
  /** Regular expressions (as imapsync --include): only folders matching one of them are synced. */
  include?: string[];
  /** Regular expressions (as imapsync --exclude): folders matching one of them are left alone. */
  exclude?: string[];
  /** Source folder → destination folder; applies to subfolders too (`Old` → `New` moves `Old/x` to `New/x`). */
  rename?: Record<string, string>;
  /**
   * Roles (RFC 6154 special use) of folders whose server may not flag them, by logical name
   * and side: a provider preset's "[Gmail]/Sent Mail" is \\Sent. A server's own flag wins.
   */
  roles?: { source?: Record<string, SpecialUse>; destination?: Record<string, SpecialUse> };
}

export interface SyncTuning {
  /** Messages per MULTIAPPEND command (default 50). */
  batchMessages?: number;
  /** Bytes per batch; also what bounds memory: about three batches' worth per folder copied at once (default 2 MiB: 50 messages of common sizes fit; only batches of large messages are split further, and four folders at once stay under 150 MB). */
  batchBytes?: number;
  /** Folders copied at the same time, each on its own pair of connections (default 4; fewer when there is little to copy). */
  parallelFolders?: number;
  /** Use RFC 3502 MULTIAPPEND when the destination offers it (default true). */
  multiappend?: boolean;
  /** COMPRESS=DEFLATE (RFC 4978) on both servers' connections when offered (default false: it costs CPU, and helps only a slow link). */
  compress?: boolean;
}

export interface SyncRequest {
  /** The mailbox's label in reports and errors (usually the user's address). */
  mailbox: string;
  source: ImapAccount;
  destination: ImapAccount;
  folders?: FolderRules;
  /** Only messages whose internal date is at most this many days old (imapsync --maxage). */
  maxAgeDays?: number;
  /** Only messages at least this many days old (imapsync --minage). */
  minAgeDays?: number;
  /** Only messages of at most this many bytes (imapsync --maxsize): the operator's choice to leave larger ones out. */
  maxSizeBytes?: number;
  /**
   * The largest message host2's provider accepts (its preset). Syncs skip larger ones (and
   * report them); verification judges them, and the size audit counts them as not fitting.
   */
  destinationMaxMessageBytes?: number;
  /** Expunge from host2 the in-scope messages that are not on host1 (imapsync --delete2). */
  deleteOnDestination: boolean;
  /** Expunge from host1 the in-scope messages verified present on host2 (imapsync --delete1). */
  deleteOnSource: boolean;
  /** Report what would happen; change nothing on either side. */
  dryRun?: boolean;
  /** Subscribe on host2 the folders subscribed on host1 (default true). */
  subscribe?: boolean;
  tuning?: SyncTuning;
  /**
   * Message bytes this sync may copy at most (what is left of its accounts' daily budget,
   * workflows/byte-budget.ts). It stops before the message that would pass it, keeping what
   * it finished; `SyncResult.byteBudget` says so. A later sync goes on from there (messages
   * are recognised by identity: nothing is copied twice).
   */
  maxBytes?: number;
  /**
   * What the previous run of this mailbox returned as `SyncResult.state`. With it, folders
   * unchanged on both sides since then are skipped after one LIST-STATUS per server, and
   * folders where host1 only received new messages copy just those. Anything else (flags
   * changed, messages removed, UIDVALIDITY changed, different filters, a server without
   * CONDSTORE) falls back to the full comparison of that folder. Always safe to pass: a
   * state from another mailbox pair or another folder scope is ignored.
   */
  previous?: SyncState;
  /**
   * verifyMailbox only: judge only the host1 messages that existed when a sync started (its
   * `SyncResult.sourceMarks`). Mail delivered to host1 since is the post-sync's job, not
   * missing; `extra` still counts only host2 messages that match no host1 message at all.
   * Without it, everything on host1 in scope is judged.
   */
  asOf?: SourceMark[];
}

/** A host1 folder's UIDNEXT when a sync started: every message below it existed then. */
export interface SourceMark {
  /** host1's folder path (as listed on host1). */
  folder: string;
  /** UIDVALIDITY, a bigint as a decimal string. */
  uidValidity: string;
  uidNext: number;
}

// The incremental state (a sync's result and its next request's `previous`): sync-state-types.ts.
export type { DestinationMark, FolderSyncState, MailboxSnapshot, SyncCheckpoint, SyncState } from './sync-state-types';

/** Why an in-folder message was left out (filters apply to both sides alike). */
export type SkipReason = 'older-than-max-age' | 'newer-than-min-age' | 'larger-than-max-size' | 'marked-deleted' | 'rejected-by-destination';

export interface FolderSyncResult {
  /** Source folder(s), logical names; several when they merge (Sent and Sent Items into Sent). */
  source: string[];
  /** Destination folder, logical name, and as host2 spells it. */
  destination: string;
  destinationPath: string;
  /** The folder was created on host2 by this run (or would be, in a dry run). */
  created: boolean;
  /** The folder was subscribed on host2 by this run (or would be). */
  subscribed: boolean;
  /** In-scope messages on host1 (after filters). */
  sourceMessages: number;
  /** In-scope messages on host2 before this run. */
  destinationMessages: number;
  copied: number;
  flagsUpdated: number;
  deletedOnDestination: number;
  /** In-scope messages on host2 that match no host1 message, left there (the sync did not delete on host2). */
  extraOnDestination: number;
  /**
   * Extra messages on host2 (host1 has no match) that arrived there after this folder's
   * previous sync, from someone else: users' own mail, kept, never deleted (also without
   * deleteOnDestination, where nothing is deleted anyway). Absent when none; never counted
   * for a folder without a previous sync's mark (nothing tells them apart then).
   */
  keptOnDestination?: number;
  deletedOnSource: number;
  skipped: Partial<Record<SkipReason, number>>;
  bytesCopied: number;
  durationMs: number;
  /** What went wrong without stopping the sync (a message host2 refused...), at most 20. */
  warnings?: string[];
  /**
   * How the folder was compared: `unchanged` (both sides as the previous state left them:
   * nothing listed), `incremental` (only host1's new messages were read), `full`.
   */
  mode: 'unchanged' | 'incremental' | 'full';
  /** Why a previous state could not be used for this folder (when one was given). */
  fullReason?: string;
  /** Finished by an earlier attempt of this activity (taken from its heartbeat checkpoint). */
  resumed?: boolean;
}

export interface SyncTotals {
  sourceMessages: number;
  destinationMessages: number;
  copied: number;
  flagsUpdated: number;
  deletedOnDestination: number;
  extraOnDestination: number;
  /** Users' own mail on host2, kept (FolderSyncResult.keptOnDestination). */
  keptOnDestination: number;
  deletedOnSource: number;
  skipped: number;
  bytesCopied: number;
}

export interface SyncResult {
  mailbox: string;
  dryRun: boolean;
  folders: FolderSyncResult[];
  /** Source folders left out by include/exclude rules, or not selectable (\Noselect). */
  excludedFolders: string[];
  totals: SyncTotals;
  durationMs: number;
  /** Pass it as the next run's `previous` (a dry run returns the previous state as it was). */
  state: SyncState;
  /**
   * Every host1 folder this run synced (skipped as unchanged too), as it was when the run
   * started, before anything was listed: pass them as a verification's `asOf`.
   */
  sourceMarks: SourceMark[];
  /** With `maxBytes`: the message bytes copied, and whether the sync stopped at the budget (then `folders` are those it finished). */
  byteBudget?: { spent: number; reached: boolean };
}

/** Enough to find a message by hand; no content. */
export interface MessageRef {
  uid: number;
  messageId?: string;
  size: number;
  internalDate: string;
}

export interface FolderVerifyResult {
  source: string[];
  destination: string;
  destinationPath: string;
  existsOnDestination: boolean;
  sourceMessages: number;
  destinationMessages: number;
  /** On host1, not on host2. */
  missing: number;
  /** On host2, not on host1. */
  extra: number;
  /** On both, with different flags. */
  flagMismatches: number;
  /** Size audit: the RFC822.SIZE of the host1 messages judged, and of those not on host2. */
  sourceBytes: number;
  missingBytes: number;
  /** The largest host1 message judged, and the largest of those not on host2 (0 when none). */
  largest: number;
  largestMissing: number;
  /** Of those not on host2, how many are larger than host2 accepts (verification only). */
  tooLarge?: number;
  /** A few of each, for the report (at most 20). */
  missingSample: MessageRef[];
  extraSample: MessageRef[];
  /**
   * Only with `asOf`: no host1 folder of this pair has a mark (it appeared after the sync
   * started). None of its messages are judged, and its absence on host2 does not fail `ok`.
   */
  afterMark?: boolean;
}

export interface VerifyResult {
  mailbox: string;
  /**
   * Every folder exists on host2 and nothing in scope is missing there (extra messages and
   * flag differences do not fail it). With `asOf`, folders that appeared on host1 since the
   * marks need not exist on host2 yet.
   */
  ok: boolean;
  folders: FolderVerifyResult[];
  excludedFolders: string[];
  /** Folders on host2 that no source folder maps to. */
  destinationOnlyFolders: string[];
  missing: number;
  extra: number;
  flagMismatches: number;
  durationMs: number;
  /** Whether what host1 holds fits on host2 (size-audit.ts). Absent from workers before the audit. */
  size?: SizeAudit;
}

/**
 * One mailbox's size audit: host1's messages (within the folder rules and filters) against
 * host2's quota and message size limit. Sizes are RFC822.SIZE in bytes.
 */
export interface SizeAudit {
  host1Bytes: number;
  host1Messages: number;
  /** The largest host1 message. */
  largest: number;
  /** What the next sync copies: host1 messages not found on host2 (by identity). */
  toCopyBytes: number;
  toCopyMessages: number;
  largestToCopy: number;
  /** host2's storage quota (GETQUOTAROOT INBOX), in bytes; null when the server has no QUOTA or no storage limit. */
  quota: { limit: number; usage: number } | null;
  /** host2's message count quota, when it has one. */
  messageQuota?: { limit: number; usage: number };
  /** The largest message host2 accepts (RFC 7889 APPENDLIMIT=n in CAPABILITY); null when it announces none. */
  appendLimit: number | null;
  /** The largest message host2's provider accepts (SyncRequest.destinationMaxMessageBytes). */
  providerLimit?: number;
  fits: boolean;
  /** Why not, in numbers ("needs 12.4 MiB, host2 quota leaves 10.0 MiB …"). */
  reasons: string[];
}

/** Heartbeat details and progress callback payload. */
export interface SyncProgress {
  mailbox: string;
  phase: 'folders' | 'messages' | 'done';
  /** The destination folder being worked on (logical name). */
  folder?: string;
  foldersDone: number;
  foldersTotal: number;
  copied: number;
  flagsUpdated: number;
  deletedOnDestination: number;
  deletedOnSource: number;
  bytesCopied: number;
  /** Messages and bytes to copy in the folders compared so far (for an ETA; grows as folders are compared). */
  toCopy: number;
  bytesToCopy: number;
}

/** Heartbeat details: the progress, plus the checkpoint a retried attempt resumes from. */
export interface SyncHeartbeat extends SyncProgress {
  checkpoint?: SyncCheckpoint;
}
