// Users' own mail on host2 (imapsync's FAQ: never --delete2 once users play on host2).
// deleteOnDestination expunges host2 messages that match no host1 message. Most are copies
// whose original host1 deleted since; but a user who starts working on host2 between two
// pre-syncs puts messages there that host1 never had, and those must never be deleted.
//
// UIDs tell them apart exactly, without per-message lists. Each run records, per host2
// folder, a mark: the folder's UIDVALIDITY and the first UID it did not account for
// (UIDNEXT after its own copies, when nobody else appended meanwhile; otherwise UIDNEXT
// before them). A host2 message at or above the mark of the previous run arrived since,
// from someone else: when it is extra it is the users' own, kept and reported. Once kept it
// stays kept: the next mark moves above it, so the run also records the UIDs that arrived
// from someone else, [previous mark, UIDNEXT when listed), as a kept range; extras in a
// kept range are kept on every later run. The copies a run makes lie above that range and
// below its mark, so a copy whose original host1 deletes later is still deleted.
//
// Marks are kept for every folder a run synced, in step or not, and need no CONDSTORE
// (UIDNEXT and UIDVALIDITY are plain STATUS items). An older mark is always safe (it
// keeps more), so marks are carried over from run to run. A message of the users' that
// matches a host1 message counts as its copy while host1 has it, and is kept once host1
// deletes it (it lies in a kept range). Where a run cannot tell its copies from others'
// (someone appended while it copied, or an attempt failed after copying), its copies count
// as arrived from someone else: kept if their original goes, never the other way round.
// The limit: a host2 folder without any mark, where nothing tells a user's message from a
// stale copy and deleteOnDestination deletes as before. That is the mailbox's first sync,
// a folder synced for the first time (new on host1, or the folder rules changed) into a
// host2 folder that already exists, a state lost (the request carried none), and a host2
// folder recreated (new UIDVALIDITY). Preflight's verification finds what is there before
// the first sync.
import { commandFailure } from './errors';
import type { ImapSession } from './session';
import type { DestinationMark, SyncState } from './types';

/** Kept ranges per mark, at most; beyond it the closest two merge (keeping more, never less). */
export const MAX_KEPT_RANGES = 32;

/** A host2 folder's UIDVALIDITY (decimal string) and UIDNEXT. */
export interface UidPosition {
  uidValidity: string;
  uidNext: number;
}

const isUid = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;

function isMark(m: unknown): m is DestinationMark {
  const x = m as DestinationMark;
  return (
    !!x &&
    typeof x.destination === 'string' &&
    typeof x.uidValidity === 'string' &&
    /^\d+$/.test(x.uidValidity) &&
    isUid(x.uidNext) &&
    (x.kept === undefined || (Array.isArray(x.kept) && x.kept.every((r) => Array.isArray(r) && r.length === 2 && isUid(r[0]) && isUid(r[1]) && r[0] < r[1])))
  );
}

/**
 * The marks of previous states, by host2 folder. Like usableFolders (sync-state.ts): states
 * of another mailbox pair and malformed entries are ignored; later states win (the
 * request's, then a checkpoint's). A state from before marks existed gives its in-step
 * folders' host2 UIDNEXT: exact for them.
 */
export function usableMarks(pair: string, ...states: (SyncState | undefined)[]): Map<string, DestinationMark> {
  const byDestination = new Map<string, DestinationMark>();
  for (const state of states) {
    if (!state || state.version !== 1 || state.pair !== pair) continue;
    for (const f of Array.isArray(state.folders) ? state.folders : []) {
      const at = f?.destinationAt;
      const mark = { destination: f?.destination, uidValidity: at?.uidValidity, uidNext: at?.uidNext };
      if (isMark(mark)) byDestination.set(mark.destination, mark);
    }
    for (const m of Array.isArray(state.destinationMarks) ? state.destinationMarks : []) {
      if (isMark(m)) byDestination.set(m.destination, m);
    }
  }
  return byDestination;
}

/**
 * Which host2 UIDs (of a folder listed under `uidValidity`) are users' own when extra: at or
 * above the mark, or in a kept range. Without a mark for that UIDVALIDITY, none.
 */
export function ownMail(mark: DestinationMark | undefined, uidValidity: string): (uid: number) => boolean {
  if (!mark || mark.uidValidity !== uidValidity) return () => false;
  const kept = mark.kept ?? [];
  return (uid) => uid >= mark.uidNext || kept.some(([from, to]) => uid >= from && uid < to);
}

/** Sorted, overlapping and touching ranges merged, at most MAX_KEPT_RANGES (closest merged first). */
export function normaliseRanges(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [from, to] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  while (out.length > MAX_KEPT_RANGES) {
    let closest = 0;
    for (let i = 1; i < out.length - 1; i++) if (out[i + 1][0] - out[i][1] < out[closest + 1][0] - out[closest][1]) closest = i;
    out.splice(closest, 2, [out[closest][0], out[closest + 1][1]]);
  }
  return out;
}

/**
 * The mark a run leaves on a host2 folder. `listed`: the folder before the run changed it
 * (UIDNEXT when listed, or the in-step state the run trusted instead of listing); `after`:
 * UIDNEXT after the run's copies, if read. UIDs in [previous mark, listed UIDNEXT) arrived
 * from someone else since the previous run: kept ranges. The run's own copies are
 * [listed UIDNEXT, after) when UIDNEXT moved by exactly what it copied; otherwise some of
 * them may be someone else's, and the mark stays at the listed UIDNEXT.
 */
export function nextMark(
  previous: DestinationMark | undefined,
  destination: string,
  listed: UidPosition,
  after: UidPosition | undefined,
  copied: number,
): DestinationMark {
  const exact = !!after && after.uidValidity === listed.uidValidity && after.uidNext === listed.uidNext + copied;
  const mark: DestinationMark = { destination, uidValidity: listed.uidValidity, uidNext: exact ? after.uidNext : listed.uidNext };
  if (previous && previous.uidValidity === listed.uidValidity) {
    const arrived: [number, number][] = listed.uidNext > previous.uidNext ? [[previous.uidNext, listed.uidNext]] : [];
    const kept = normaliseRanges([...(previous.kept ?? []), ...arrived]);
    if (kept.length) mark.kept = kept;
  }
  return mark;
}

/** The marks a run returns: every earlier one (safe: an older mark keeps more), updated by this run's. */
export function carriedMarks(previous: Map<string, DestinationMark>, now: (DestinationMark | undefined)[]): DestinationMark[] {
  const all = new Map(previous);
  for (const m of now) if (m) all.set(m.destination, m);
  return [...all.values()];
}

/** host2 folder's UIDVALIDITY and UIDNEXT now (STATUS; no CONDSTORE needed). */
export async function uidPosition(session: ImapSession, path: string): Promise<UidPosition | undefined> {
  try {
    const status = await session.client.status(path, { uidNext: true, uidValidity: true });
    if (!status || status.uidValidity === undefined || status.uidNext === undefined) return undefined;
    return { uidValidity: status.uidValidity.toString(), uidNext: Number(status.uidNext) };
  } catch (err) {
    throw commandFailure(err, session.ctx, `reading the status of folder "${path}"`);
  }
}

/** host2's extra messages: the users' own (kept) and the rest (stale copies, deleted with deleteOnDestination). */
export function splitExtras<T extends { uid: number }>(
  extra: T[],
  mark: DestinationMark | undefined,
  uidValidity: string | undefined,
): { own: T[]; stale: T[] } {
  const isOwn = uidValidity === undefined ? () => false : ownMail(mark, uidValidity);
  const own: T[] = [];
  const stale: T[] = [];
  for (const m of extra) (isOwn(m.uid) ? own : stale).push(m);
  return { own, stale };
}
