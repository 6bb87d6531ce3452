// Source marks: each host1 folder's UIDVALIDITY and UIDNEXT when a sync started. The MX
// still points to host1 while mailboxes are verified after their final sync, so host1
// keeps receiving mail; a verification "as of" the final sync's marks judges only what
// existed when that sync started (UIDs are given in increasing order: every message below
// UIDNEXT existed then, every later one is at or above it). Later arrivals are the
// post-sync's job, not "missing".
import { commandFailure, invalidRequest } from './errors';
import type { FolderPair } from './folder-plan';
import type { FolderListing, MessageSummary } from './inventory';
import type { ImapSession } from './session';
import type { SourceMark } from './types';

/** INBOX is case-insensitive; every other name is as the server spells it. */
const markKey = (folder: string) => (folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder);

/**
 * The marks of every source folder of the plan, from the folder listing (LIST-STATUS)
 * taken before anything else; a folder the listing gave no status for gets one STATUS.
 */
export async function sourceMarks(session: ImapSession, pairs: FolderPair[]): Promise<SourceMark[]> {
  const marks: SourceMark[] = [];
  for (const folder of pairs.flatMap((p) => p.sources)) {
    if (folder.mark) {
      marks.push(folder.mark);
      continue;
    }
    let status;
    try {
      status = await session.client.status(folder.path, { uidNext: true, uidValidity: true });
    } catch (err) {
      throw commandFailure(err, session.ctx, `reading the status of folder "${folder.path}"`);
    }
    if (!status || status.uidValidity === undefined || status.uidNext === undefined) {
      throw commandFailure(new Error('STATUS without UIDVALIDITY or UIDNEXT'), session.ctx, `reading the status of folder "${folder.path}"`);
    }
    marks.push({ folder: folder.path, uidValidity: status.uidValidity.toString(), uidNext: Number(status.uidNext) });
  }
  return marks;
}

/** Refuses an `asOf` that is not a list of well-formed marks, one per folder (it travels through workflow input). */
export function checkSourceMarks(mailbox: string, asOf: unknown): void {
  if (asOf === undefined) return;
  if (!Array.isArray(asOf)) throw invalidRequest(`${mailbox}: asOf must be a list of source marks`);
  const seen = new Set<string>();
  asOf.forEach((m: Partial<SourceMark> | null, i) => {
    const field = `${mailbox}: asOf[${i}]`;
    if (!m || typeof m !== 'object') throw invalidRequest(`${field} must be a source mark ({ folder, uidValidity, uidNext })`);
    if (typeof m.folder !== 'string' || !m.folder) throw invalidRequest(`${field}.folder must be a folder name`);
    if (typeof m.uidValidity !== 'string' || !/^\d{1,20}$/.test(m.uidValidity)) throw invalidRequest(`${field}.uidValidity must be a decimal string`);
    if (!Number.isSafeInteger(m.uidNext) || m.uidNext! < 1) throw invalidRequest(`${field}.uidNext must be an integer >= 1`);
    if (seen.has(markKey(m.folder))) throw invalidRequest(`${field}.folder: a second mark for folder "${m.folder}"`);
    seen.add(markKey(m.folder));
  });
}

/** The marks by folder, for judgedAsOf. */
export function marksByFolder(asOf: SourceMark[]): Map<string, SourceMark> {
  return new Map(asOf.map((m) => [markKey(m.folder), m]));
}

export interface Judged {
  /** The in-scope host1 messages a verification as of the marks counts. */
  messages: MessageSummary[];
  /** No source folder of the pair has a mark: it appeared on host1 after the sync started. */
  afterMark: boolean;
}

/**
 * Which of a folder pair's in-scope host1 messages (`source`, listed as `listings`, one per
 * source folder) existed when the marks were taken:
 *  - a source folder with a mark of the same UIDVALIDITY: its messages with UID < UIDNEXT;
 *  - a source folder with no mark (created since): none of them;
 *  - a source folder whose UIDVALIDITY changed since its mark: all of them. Its UIDs no
 *    longer say what existed then (it was recreated or renumbered), so it is judged in
 *    full: the safe side, a late arrival may then count as missing, never the reverse.
 */
export function judgedAsOf(pair: FolderPair, listings: FolderListing[], source: MessageSummary[], marks: Map<string, SourceMark>): Judged {
  const below: (number | undefined)[] = pair.sources.map((folder, origin) => {
    const mark = marks.get(markKey(folder.path));
    if (!mark) return 0;
    return mark.uidValidity === listings[origin].uidValidity ? mark.uidNext : undefined;
  });
  return {
    messages: source.filter((m) => {
      const limit = below[m.origin];
      return limit === undefined || m.uid < limit;
    }),
    afterMark: pair.sources.every((folder) => !marks.has(markKey(folder.path))),
  };
}
