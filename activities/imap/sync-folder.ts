// One destination folder, fed by one source folder (or several merged, e.g. "Sent" and
// "Sent Items"): list both sides, pair messages by identity, then in this order delete the
// extras on host2 (when asked; never users' own mail, see destination-marks.ts), give
// host2's copies host1's flags, copy what is missing, and, when asked, expunge from host1
// what a fresh listing of host2 shows is there.
import { deleteVerifiedFromSource, destinationInStep, expunge, updateFlags, withMessageIds } from './folder-changes';
import { copyMessages } from './copy-messages';
import { nextMark, splitExtras, uidPosition, type UidPosition } from './destination-marks';
import { inScope, readState, WARNINGS_KEPT, type FolderSettings } from './folder-listing';
import type { FolderPair } from './folder-plan';
import { fetchSummaries, hasCondstore, selectFolder, type MessageSummary } from './inventory';
import { matchMessages } from './message-plan';
import type { ProgressReporter } from './progress';
import type { ImapSession } from './session';
import type { FolderDecision } from './sync-state';
import type { DestinationMark, FolderSyncResult, FolderSyncState, MailboxSnapshot } from './types';

/** How this folder may use the previous state, decided from LIST-STATUS (see sync-state.ts). */
export interface FolderIncremental {
  decision: Exclude<FolderDecision, { mode: 'unchanged' }>;
  previous?: FolderSyncState;
  scope: string;
  /** Record a state for this folder when the run proves it in step. */
  keepState: boolean;
  /** host1 snapshots from LIST-STATUS, per source folder (for `incremental`). */
  sourcesNow: (MailboxSnapshot | undefined)[];
  /** The previous runs' mark on the host2 folder: what arrived since is users' own (destination-marks.ts). */
  mark?: DestinationMark;
}

export interface FolderOutcome {
  result: FolderSyncResult;
  /** Set when the folder is known in step after this run. */
  state?: FolderSyncState;
  /** The host2 folder's mark after this run (not in a dry run). */
  mark?: DestinationMark;
}

function emptyResult(pair: FolderPair, folderChanges: { created: boolean; subscribed: boolean }, mode: FolderSyncResult['mode']): FolderSyncResult {
  return {
    source: pair.sources.map((s) => s.logical),
    destination: pair.logical,
    destinationPath: pair.path,
    created: folderChanges.created,
    subscribed: folderChanges.subscribed,
    sourceMessages: 0,
    destinationMessages: 0,
    copied: 0,
    flagsUpdated: 0,
    deletedOnDestination: 0,
    extraOnDestination: 0,
    deletedOnSource: 0,
    skipped: {},
    bytesCopied: 0,
    durationMs: 0,
    mode,
  };
}

/** A folder both sides left as the previous state recorded: nothing to list, nothing to do. */
export function unchangedFolder(pair: FolderPair, folderChanges: { created: boolean; subscribed: boolean }, previous: FolderSyncState): FolderSyncResult {
  const result = emptyResult(pair, folderChanges, 'unchanged');
  result.sourceMessages = previous.messages;
  result.destinationMessages = previous.messages;
  result.skipped = { ...(previous.skipped ?? {}) };
  return result;
}

export async function syncFolder(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  folderChanges: { created: boolean; subscribed: boolean },
  progress: ProgressReporter,
  incremental: FolderIncremental = { decision: { mode: 'full' }, scope: '', keepState: false, sourcesNow: [] },
  /** host2's folder created and subscribed (prepare-folders.ts): the full comparison lists host1 meanwhile. */
  destinationReady: Promise<void> = Promise.resolve(),
): Promise<FolderOutcome> {
  const started = Date.now();
  progress.update({ phase: 'messages', folder: pair.logical }, true);
  let fullReason = incremental.decision.mode === 'full' ? incremental.decision.reason : undefined;
  if (incremental.decision.mode === 'incremental' && incremental.previous) {
    await destinationReady;
    const outcome = await syncNewMessages(pair, src, dst, settings, folderChanges, progress, incremental, incremental.decision.grown);
    if (typeof outcome !== 'string') {
      outcome.result.durationMs = Date.now() - started;
      return outcome;
    }
    fullReason = outcome;
  }
  const outcome = await syncFolderFully(pair, src, dst, settings, folderChanges, progress, incremental, destinationReady);
  if (fullReason) outcome.result.fullReason = fullReason;
  outcome.result.durationMs = Date.now() - started;
  return outcome;
}

/**
 * host1 only received messages since the folder was last in step, host2 did not change:
 * read what changed on host1 since the recorded HIGHESTMODSEQ. When that is only new
 * messages (and MESSAGES grew by their number: nothing was expunged), they are exactly
 * what a full comparison would copy. Otherwise returns why the full comparison is needed.
 */
async function syncNewMessages(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  folderChanges: { created: boolean; subscribed: boolean },
  progress: ProgressReporter,
  incremental: FolderIncremental,
  grown: boolean[],
): Promise<FolderOutcome | string> {
  const previous = incremental.previous!;
  const tick = () => progress.add({});
  const fresh: MessageSummary[] = [];
  const sources: FolderSyncState['sources'] = [];
  for (const [origin, folder] of pair.sources.entries()) {
    const before = previous.sources[origin].at;
    const now = incremental.sourcesNow[origin]!;
    sources.push({ path: folder.path, at: now });
    if (!grown[origin]) continue;
    if (!hasCondstore(src)) return 'no CONDSTORE on host1';
    await selectFolder(src, folder.path, 'read-only');
    // Up to the UIDNEXT the snapshot saw: later arrivals are the next run's (the snapshot says so).
    const changed = await fetchSummaries(src, folder.path, `1:${now.uidNext - 1}`, {
      byUid: true,
      origin,
      tick,
      changedSince: BigInt(before.highestModseq),
    });
    if (changed.some((m) => m.uid < before.uidNext)) return 'flags changed on host1';
    if (now.messages !== before.messages + changed.length) return 'messages removed on host1';
    fresh.push(...changed);
  }
  const skipped = { ...(previous.skipped ?? {}) };
  const toCopy = inScope(fresh, settings.filters, skipped);
  const result = emptyResult(pair, folderChanges, 'incremental');
  result.sourceMessages = previous.messages + toCopy.length;
  result.destinationMessages = previous.messages;
  result.skipped = skipped;
  progress.add({ toCopy: toCopy.length, bytesToCopy: toCopy.reduce((n, m) => n + m.size, 0) });
  if (settings.dryRun) {
    result.copied = toCopy.length;
    result.bytesCopied = toCopy.reduce((n, m) => n + m.size, 0);
    return { result };
  }
  const warnings: string[] = [];
  const copy = await copyToDestination(pair, src, dst, toCopy, settings, progress, result, warnings);
  if (warnings.length) result.warnings = warnings.slice(0, WARNINGS_KEPT);
  let state: FolderSyncState | undefined;
  let after: UidPosition | undefined;
  if (incremental.keepState && copy.inStep) {
    const inStep = await destinationInStep(dst, pair, previous.destinationAt, result.copied, 0, new Map());
    if (inStep) state = { destination: pair.path, destinationAt: inStep, sources, scope: incremental.scope, messages: result.sourceMessages, skipped };
    after = inStep;
  }
  // host2 was as the state recorded when the run started (decideFolder): that is what it listed.
  if (!after && result.copied) after = await uidPosition(dst, pair.path);
  return { result, state, mark: nextMark(incremental.mark, pair.path, previous.destinationAt, after, result.copied) };
}

async function syncFolderFully(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  folderChanges: { created: boolean; subscribed: boolean },
  progress: ProgressReporter,
  incremental: FolderIncremental,
  destinationReady: Promise<void>,
): Promise<FolderOutcome> {
  // In a dry run a folder that would be created does not exist yet: it is empty.
  const destinationExists = !!pair.existing || (folderChanges.created && !settings.dryRun);
  const tick = () => progress.add({});
  const keepState = incremental.keepState && !settings.dryRun;
  // --delete1 pairs host1's listing with host2's again after the copy: it needs the identities.
  const identity = settings.deleteOnSource ? 'always' : 'when-needed';
  const state = await readState(pair, src, dst, settings, destinationExists, tick, {
    snapshot: keepState,
    identity,
    knownEmpty: folderChanges.created,
    destinationReady,
  });
  const plan = matchMessages(state.source, state.destination);
  // Extras that arrived on host2 since the previous run, from someone else, are users' own: never deleted.
  const extras = splitExtras(plan.extra, incremental.mark, state.destinationAt?.uidValidity);
  const result = emptyResult(pair, folderChanges, 'full');
  if (extras.own.length) result.keptOnDestination = extras.own.length;
  result.sourceMessages = state.source.length;
  result.destinationMessages = state.destination.length;
  result.skipped = state.skipped;
  result.extraOnDestination = settings.deleteOnDestination ? 0 : plan.extra.length;
  progress.add({ toCopy: plan.toCopy.length, bytesToCopy: plan.toCopy.reduce((n, m) => n + m.size, 0) });

  if (settings.dryRun) {
    // Exactly what a real run would do, assuming every copy succeeds.
    result.copied = plan.toCopy.length;
    result.bytesCopied = plan.toCopy.reduce((n, m) => n + m.size, 0);
    result.flagsUpdated = plan.flagUpdates.length;
    result.deletedOnDestination = settings.deleteOnDestination ? extras.stale.length : 0;
    result.deletedOnSource = settings.deleteOnSource ? plan.pairs.length + plan.toCopy.length : 0;
    return { result };
  }

  if (settings.deleteOnDestination && extras.stale.length) {
    await expunge(
      dst,
      pair.path,
      extras.stale.map((m) => m.uid),
      `deleting extra messages in folder "${pair.logical}"`,
    );
    result.deletedOnDestination = extras.stale.length;
    progress.add({ deletedOnDestination: extras.stale.length });
  }

  result.flagsUpdated = await updateFlags(dst, pair, plan);
  progress.add({ flagsUpdated: result.flagsUpdated });

  const warnings: string[] = [];
  const copy = await copyToDestination(pair, src, dst, plan.toCopy, settings, progress, result, warnings);

  if (settings.deleteOnSource) {
    const deleted = await deleteVerifiedFromSource(pair, src, dst, settings, state, warnings, tick);
    result.deletedOnSource = deleted;
    progress.add({ deletedOnSource: deleted });
  }
  if (warnings.length) result.warnings = warnings.slice(0, WARNINGS_KEPT);

  // In step: nothing in scope left extra on host2 (users' own mail is left there), nothing
  // refused, and neither side moved under us (checked against the snapshots taken before the listings).
  let folderState: FolderSyncState | undefined;
  let after: UidPosition | undefined;
  const snapshots = state.sources.map((l) => l.snapshot);
  const listedBeforeSnapshots = state.sources.every((l) => !!l.snapshot && l.messages.every((m) => m.uid < l.snapshot!.uidNext));
  const extraLeft = settings.deleteOnDestination ? extras.own.length : plan.extra.length;
  if (keepState && copy.inStep && listedBeforeSnapshots && state.destinationSnapshot && !extraLeft) {
    const ours = new Map(plan.flagUpdates.map((p) => [p.destination.uid, p.source.flags]));
    const inStep = await destinationInStep(dst, pair, state.destinationSnapshot, result.copied, result.deletedOnDestination, ours);
    after = inStep;
    if (inStep) {
      folderState = {
        destination: pair.path,
        destinationAt: inStep,
        sources: pair.sources.map((f, i) => ({ path: f.path, at: snapshots[i]! })),
        scope: incremental.scope,
        messages: result.sourceMessages,
        ...(Object.keys(result.skipped).length && { skipped: result.skipped }),
      };
    }
  }
  // A server that leaves UIDNEXT out of SELECT gives no new mark: the previous one is carried on.
  const listed = state.destinationAt;
  if (!listed || !Number.isInteger(listed.uidNext)) return { result, state: folderState };
  if (!after && result.copied) after = await uidPosition(dst, pair.path);
  return { result, state: folderState, mark: nextMark(incremental.mark, pair.path, listed, after, result.copied) };
}

/** Copies `toCopy` (from any of the pair's source folders) into the destination folder. */
async function copyToDestination(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  toCopy: MessageSummary[],
  settings: FolderSettings,
  progress: ProgressReporter,
  result: FolderSyncResult,
  warnings: string[],
): Promise<{ inStep: boolean }> {
  let inStep = true;
  for (const [origin, folder] of pair.sources.entries()) {
    const mine = toCopy.filter((m) => m.origin === origin);
    if (!mine.length) continue;
    const outcome = await copyMessages(
      { session: src, path: folder.path, logical: folder.logical },
      { session: dst, path: pair.path, logical: pair.logical },
      mine,
      settings,
      (copied, bytes) => progress.add({ copied, bytesCopied: bytes }),
    );
    result.copied += outcome.copied;
    result.bytesCopied += outcome.bytes;
    if (outcome.vanished) inStep = false;
    if (outcome.rejected.length) {
      inStep = false;
      result.skipped['rejected-by-destination'] = (result.skipped['rejected-by-destination'] ?? 0) + outcome.rejected.length;
      await withMessageIds(
        src,
        folder.path,
        outcome.rejected.slice(0, WARNINGS_KEPT).map((r) => r.message),
      );
      for (const r of outcome.rejected) {
        warnings.push(
          `host2 refused message UID ${r.message.uid} of "${folder.logical}" (${r.message.size} bytes${r.message.messageId ? `, ${r.message.messageId}` : ''}): ${r.reason}`,
        );
      }
    }
  }
  return { inStep };
}
