// Source marks: each host1 folder's UIDVALIDITY and UIDNEXT when a sync started. The MX
// still points to host1 while mailboxes are verified after their final sync, so host1
// keeps receiving mail; a verification "as of" the final sync's marks judges only what
// existed when that sync started (UIDs are given in increasing order: every message below
// UIDNEXT existed then, every later one is at or above it). Later arrivals are the
// post-sync's job, not "missing".
import { commandFailure } from './errors';
import type { FolderPair } from './folder-plan';
import type { ImapSession } from './session';
import type { SourceMark } from './types';

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
