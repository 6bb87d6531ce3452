// The incremental state (SyncState) and the per-folder decision it allows. Pure: unit-tested
// without servers.
//
// What is remembered per destination folder, for host2 and each host1 folder feeding it:
// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and MESSAGES as STATUS reports them, taken when the
// run proved the folder in step (every in-scope host1 message on host2 with its flags,
// nothing else in scope on host2). On the next run one LIST-STATUS per server says:
//   - both sides exactly as recorded            → `unchanged`: nothing is listed;
//   - host2 as recorded, host1 only grew (same UIDVALIDITY, higher UIDNEXT)
//                                               → `incremental`: read host1's messages changed
//     since the recorded HIGHESTMODSEQ (CONDSTORE CHANGEDSINCE); if they are all new
//     (UID >= the recorded UIDNEXT) and MESSAGES grew by exactly their number, copy them;
//     otherwise (a flag changed, something was expunged) the folder gets the full comparison;
//   - anything else (UIDVALIDITY changed, host2 changed, other filters, no CONDSTORE)
//                                               → `full`, exactly as without a state.
// No UID mapping is kept: in a folder in step, host1's new messages are exactly what a full
// comparison would copy, and every other change is handed to the full comparison, so the
// state stays a few hundred bytes per folder whatever the folder's size.
import { createHash } from 'node:crypto';
import type { ImapAccount, FolderSyncState, MailboxSnapshot, SyncCheckpoint, SyncRequest, SyncState } from './types';

const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);

const accountKey = (a: ImapAccount) => ({
  host: a.endpoint.host.toLowerCase(),
  port: a.endpoint.port,
  user: a.login.user,
  master: a.login.masterUser ?? null,
});

/** Which mailbox pair a state belongs to. */
export function pairKey(req: Pick<SyncRequest, 'source' | 'destination'>): string {
  return digest([accountKey(req.source), accountKey(req.destination)]);
}

/** The settings that decide which messages of a folder are in scope. */
export function scopeKey(settings: { maxAgeDays?: number; maxSizeBytes?: number }, sourcePaths: string[], destinationPath: string): string {
  return digest([settings.maxAgeDays ?? null, settings.maxSizeBytes ?? null, sourcePaths, destinationPath]);
}

export function emptyState(pair: string, takenAt: number): SyncState {
  return { version: 1, pair, takenAt: new Date(takenAt).toISOString(), folders: [] };
}

const isSnapshot = (s: unknown): s is MailboxSnapshot => {
  const x = s as MailboxSnapshot;
  return !!x && typeof x.uidValidity === 'string' && /^\d+$/.test(x.highestModseq ?? '') && Number.isInteger(x.uidNext) && Number.isInteger(x.messages);
};

const isFolderState = (f: unknown): f is FolderSyncState => {
  const x = f as FolderSyncState;
  return (
    !!x &&
    typeof x.destination === 'string' &&
    typeof x.scope === 'string' &&
    Number.isInteger(x.messages) &&
    isSnapshot(x.destinationAt) &&
    Array.isArray(x.sources) &&
    x.sources.length > 0 &&
    x.sources.every((s) => !!s && typeof s.path === 'string' && isSnapshot(s.at))
  );
};

/**
 * The usable folder states of a previous state (it travels through workflow input: anything
 * malformed or belonging to another mailbox pair is ignored, never trusted), by destination
 * path. Later states win: pass the request's state first, then a checkpoint's.
 */
export function usableFolders(pair: string, ...states: (SyncState | undefined)[]): Map<string, FolderSyncState> {
  const byDestination = new Map<string, FolderSyncState>();
  for (const state of states) {
    if (!state || state.version !== 1 || state.pair !== pair || !Array.isArray(state.folders)) continue;
    for (const f of state.folders) if (isFolderState(f)) byDestination.set(f.destination, f);
  }
  return byDestination;
}

/** A checkpoint from heartbeat details, if it is one. */
export function checkpointOf(details: unknown): SyncCheckpoint | undefined {
  const cp = (details as { checkpoint?: SyncCheckpoint } | undefined)?.checkpoint;
  if (!cp || !cp.state || !Array.isArray(cp.folders)) return undefined;
  return cp;
}

export function sameSnapshot(a: MailboxSnapshot, b: MailboxSnapshot | undefined): boolean {
  return !!b && a.uidValidity === b.uidValidity && a.uidNext === b.uidNext && a.highestModseq === b.highestModseq && a.messages === b.messages;
}

export type FolderDecision =
  | { mode: 'unchanged' }
  /** `grown[i]`: host1 folder i has new messages to read (false: unchanged). */
  | { mode: 'incremental'; grown: boolean[] }
  | { mode: 'full'; reason?: string };

export interface FolderNow {
  sourcePaths: string[];
  destinationPath: string;
  /** LIST-STATUS snapshots now (undefined: not available, e.g. no CONDSTORE). */
  sources: (MailboxSnapshot | undefined)[];
  destination: MailboxSnapshot | undefined;
  scope: string;
}

/**
 * What the previous state allows for one folder. `incrementalAllowed` is false when the run
 * cannot keep a state anyway (dry run, delete-on-source, min-age, no CONDSTORE): then a
 * folder that changed gets the full comparison, and only an unchanged one is skipped.
 */
export function decideFolder(previous: FolderSyncState | undefined, now: FolderNow, incrementalAllowed: boolean): FolderDecision {
  if (!previous) return { mode: 'full' };
  if (previous.scope !== now.scope || previous.destination !== now.destinationPath) return { mode: 'full', reason: 'folders or filters changed' };
  if (previous.sources.length !== now.sourcePaths.length || previous.sources.some((s, i) => s.path !== now.sourcePaths[i])) {
    return { mode: 'full', reason: 'folders or filters changed' };
  }
  if (!now.destination || now.sources.some((s) => !s)) return { mode: 'full', reason: 'no HIGHESTMODSEQ (CONDSTORE) from a server' };
  if (now.destination.uidValidity !== previous.destinationAt.uidValidity) return { mode: 'full', reason: 'UIDVALIDITY changed on host2' };
  if (previous.sources.some((s, i) => s.at.uidValidity !== now.sources[i]!.uidValidity)) return { mode: 'full', reason: 'UIDVALIDITY changed on host1' };
  const sourceSame = previous.sources.map((s, i) => sameSnapshot(s.at, now.sources[i]));
  const destinationSame = sameSnapshot(previous.destinationAt, now.destination);
  if (destinationSame && sourceSame.every(Boolean)) return { mode: 'unchanged' };
  if (!destinationSame) return { mode: 'full', reason: 'host2 folder changed' };
  if (!incrementalAllowed) return { mode: 'full', reason: 'host1 folder changed' };
  const grown = previous.sources.map((s, i) => !sourceSame[i] && now.sources[i]!.uidNext > s.at.uidNext);
  if (previous.sources.some((_, i) => !sourceSame[i] && !grown[i])) return { mode: 'full', reason: 'flags changed or messages removed on host1' };
  return { mode: 'incremental', grown };
}

/** The snapshot in a STATUS / LIST-STATUS answer, when it has everything (HIGHESTMODSEQ needs CONDSTORE). */
export function snapshotOf(
  status: { uidValidity?: bigint | number; uidNext?: number; highestModseq?: bigint | number; messages?: number } | undefined,
): MailboxSnapshot | undefined {
  if (!status || status.uidValidity === undefined || status.uidNext === undefined || status.highestModseq === undefined || status.messages === undefined) {
    return undefined;
  }
  return {
    uidValidity: status.uidValidity.toString(),
    uidNext: Number(status.uidNext),
    highestModseq: status.highestModseq.toString(),
    messages: Number(status.messages),
  };
}
