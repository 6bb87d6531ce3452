// What the IMAP activities take and return. Everything here is plain JSON (it travels
// through Temporal's history): no Dates, no bigints, no Buffers, and never a secret —
// logins carry credential *references* (env:NAME, file:/path) resolved on the worker.

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
  /** A credential reference (env:NAME or file:/path): the password, or the OAuth2 access token. */
  credential: string;
  /** password (default) or xoauth2 (the credential is an access token; OAUTHBEARER when offered). */
  mechanism?: 'password' | 'xoauth2';
  /**
   * Admin login that opens `user`'s mailbox with the admin's credential. Sent as SASL PLAIN
   * with authzid=user (works with Dovecot, Cyrus, ...) unless `masterUserSeparator` is set.
   */
  masterUser?: string;
  /** Dovecot-style master login instead: LOGIN `user<separator>masterUser`, e.g. `*`. */
  masterUserSeparator?: string;
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
}

export interface SyncTuning {
  /** Messages per MULTIAPPEND command (default 50). */
  batchMessages?: number;
  /** Bytes per batch; also what bounds memory: about three batches' worth per folder copied at once (default 8 MiB). */
  batchBytes?: number;
  /** Folders copied at the same time, each on its own pair of connections (default 2). */
  parallelFolders?: number;
  /** Use RFC 3502 MULTIAPPEND when the destination offers it (default true). */
  multiappend?: boolean;
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
  /** Only messages of at most this many bytes (imapsync --maxsize). */
  maxSizeBytes?: number;
  /** Expunge from host2 the in-scope messages that are not on host1 (imapsync --delete2). */
  deleteOnDestination: boolean;
  /** Expunge from host1 the in-scope messages verified present on host2 (imapsync --delete1). */
  deleteOnSource: boolean;
  /** Report what would happen; change nothing on either side. */
  dryRun?: boolean;
  /** Subscribe on host2 the folders subscribed on host1 (default true). */
  subscribe?: boolean;
  tuning?: SyncTuning;
}

/** Why an in-folder message was left out (filters apply to both sides alike). */
export type SkipReason =
  | 'older-than-max-age'
  | 'newer-than-min-age'
  | 'larger-than-max-size'
  | 'marked-deleted'
  | 'rejected-by-destination';

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
  deletedOnSource: number;
  skipped: Partial<Record<SkipReason, number>>;
  bytesCopied: number;
  durationMs: number;
  /** What went wrong without stopping the sync (a message host2 refused...), at most 20. */
  warnings?: string[];
}

export interface SyncTotals {
  sourceMessages: number;
  destinationMessages: number;
  copied: number;
  flagsUpdated: number;
  deletedOnDestination: number;
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
  /** A few of each, for the report (at most 20). */
  missingSample: MessageRef[];
  extraSample: MessageRef[];
}

export interface VerifyResult {
  mailbox: string;
  /** Every folder exists on host2 and nothing in scope is missing there (extra messages and flag differences do not fail it). */
  ok: boolean;
  folders: FolderVerifyResult[];
  excludedFolders: string[];
  /** Folders on host2 that no source folder maps to. */
  destinationOnlyFolders: string[];
  missing: number;
  extra: number;
  flagMismatches: number;
  durationMs: number;
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
}
