// Folder listing, and the translation between a server's folder names and the logical
// names the sync works with. Servers disagree on two things: the namespace prefix
// (`INBOX.` on Courier-style servers, none on most others) and the hierarchy separator
// (`.` or `/`). A logical name is the list of levels without the prefix: host1
// `INBOX.Archive.2024` and host2 `Archive/2024` are both ['Archive', '2024'].
// Modified UTF-7 (`&AMk-t&AOk-`) is decoded by imapflow: names here are Unicode.
import { specialUseFromFlags, specialUseFromName, type SpecialUse } from './special-use';
import type { ImapSession } from './session';
import { commandFailure } from './errors';
import { snapshotOf } from './sync-state';
import type { MailboxSnapshot, SourceMark } from './types';

export interface Namespace {
  prefix: string;
  delimiter: string;
}

export interface MailFolder {
  /** The server's name (Unicode); what commands take. */
  path: string;
  /** Levels without the namespace prefix; ['INBOX'] for the inbox. */
  levels: string[];
  /** Levels joined by `/`: the name rules and reports use. */
  logical: string;
  /** The role, when the server flags it or a well-known top-level name implies it. */
  specialUse?: SpecialUse;
  /** Whether the role comes from the server (trusted over a name). */
  specialUseFromServer: boolean;
  /** False for \Noselect / \NonExistent containers: they hold no messages. */
  selectable: boolean;
  subscribed: boolean;
  /** STATUS counters from the listing, when asked for and complete (CONDSTORE). */
  status?: MailboxSnapshot;
  /** UIDVALIDITY and UIDNEXT from the listing, when asked for (CONDSTORE or not). */
  mark?: SourceMark;
}

function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

/** Server name → logical levels; undefined for folders outside the personal namespace. */
export function logicalLevels(path: string, ns: Namespace): string[] | undefined {
  if (isInbox(path)) return ['INBOX'];
  // INBOX is case-insensitive, so an `INBOX.` prefix may come back as `Inbox.`.
  const hasPrefix = isInbox(prefixName(ns)) ? path.toUpperCase().startsWith(ns.prefix.toUpperCase()) : path.startsWith(ns.prefix);
  if (!hasPrefix) return undefined; // shared or other users' folders: not this mailbox's own
  const rest = path.slice(ns.prefix.length);
  return rest ? rest.split(ns.delimiter) : undefined;
}

/** The prefix without its trailing separator: `INBOX` for `INBOX.`. */
function prefixName(ns: Namespace): string {
  return ns.prefix.endsWith(ns.delimiter) ? ns.prefix.slice(0, -ns.delimiter.length) : ns.prefix;
}

/** Logical levels → the server's name. */
export function serverPath(levels: readonly string[], ns: Namespace): string {
  if (levels.length === 1 && isInbox(levels[0])) return 'INBOX';
  let parts = [...levels];
  // Under an `INBOX.` prefix every folder already shows as a child of INBOX: a source's
  // INBOX/Sub is that server's INBOX.Sub, not INBOX.INBOX.Sub.
  if (isInbox(prefixName(ns)) && parts.length > 1 && isInbox(parts[0])) {
    parts = parts.slice(1);
  }
  // A level cannot contain the separator (host2 "a.b" on a `.` server): it becomes "a_b".
  return ns.prefix + parts.map((p) => p.split(ns.delimiter).join('_')).join(ns.delimiter);
}

/**
 * The personal folders. With `status`, also each folder's UIDVALIDITY, UIDNEXT, MESSAGES and
 * HIGHESTMODSEQ: one LIST-STATUS command (RFC 5819) where offered, else one STATUS each.
 */
export async function listFolders(session: ImapSession, options: { status?: boolean } = {}): Promise<MailFolder[]> {
  let listed;
  try {
    listed = await session.client.list(options.status ? { statusQuery: { messages: true, uidNext: true, uidValidity: true, highestModseq: true } } : undefined);
  } catch (err) {
    throw commandFailure(err, session.ctx, 'listing folders');
  }
  const folders: MailFolder[] = [];
  for (const entry of listed) {
    const ns = { prefix: session.namespace.prefix, delimiter: entry.delimiter || session.namespace.delimiter };
    const levels = logicalLevels(entry.path, ns);
    if (!levels) continue;
    const flags = [...entry.flags].map((f) => f.toLowerCase());
    const fromServer = specialUseFromFlags(entry.flags);
    const specialUse = fromServer ?? specialUseFromName(levels);
    folders.push({
      path: entry.path,
      levels,
      logical: levels.join('/'),
      specialUse,
      specialUseFromServer: !!fromServer,
      selectable: !flags.includes('\\noselect') && !flags.includes('\\nonexistent'),
      subscribed: !!entry.subscribed,
      status: snapshotOf(entry.status as Parameters<typeof snapshotOf>[0]),
      mark: markOf(entry.path, entry.status),
    });
  }
  return folders;
}

function markOf(path: string, status: { uidValidity?: bigint | number; uidNext?: number } | undefined): SourceMark | undefined {
  if (status?.uidValidity === undefined || status.uidNext === undefined) return undefined;
  return { folder: path, uidValidity: status.uidValidity.toString(), uidNext: Number(status.uidNext) };
}
