// One destination folder, fed by one source folder (or several merged, e.g. "Sent" and
// "Sent Items"): list both sides, pair messages by identity, then in this order delete the
// extras on host2 (when asked), give host2's copies host1's flags, copy what is missing,
// and, when asked, expunge from host1 what a fresh listing of host2 shows is there.
import { commandFailure } from './errors';
import { copyMessages } from './copy-messages';
import type { FolderPair } from './folder-plan';
import { addContentDigests, listMessages, selectFolder, type FolderListing, type MessageSummary } from './inventory';
import { oldestInScope, skipReason, type MessageFilters } from './message-filters';
import { ambiguousKeys, matchMessages, type MessagePlan } from './message-plan';
import type { ProgressReporter } from './progress';
import type { ImapSession } from './session';
import type { FolderSyncResult, FolderVerifyResult, MessageRef, SkipReason } from './types';

export interface FolderSettings {
  filters: MessageFilters;
  deleteOnDestination: boolean;
  deleteOnSource: boolean;
  dryRun: boolean;
  batchMessages: number;
  batchBytes: number;
  multiappend: boolean;
}

/** Both sides of a folder, in scope, with ambiguous keys resolved by content digests. */
interface FolderState {
  sources: FolderListing[];
  source: MessageSummary[];
  destination: MessageSummary[];
  skipped: Partial<Record<SkipReason, number>>;
}

const WARNINGS_KEPT = 20;

function inScope(messages: MessageSummary[], filters: MessageFilters, skipped?: Partial<Record<SkipReason, number>>): MessageSummary[] {
  return messages.filter((m) => {
    const reason = skipReason(m, filters);
    if (reason && skipped) skipped[reason] = (skipped[reason] ?? 0) + 1;
    return !reason;
  });
}

/** Reads the bodies of messages whose key is not unique, on either side, to tell them apart. */
async function resolveAmbiguity(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  source: MessageSummary[],
  destination: MessageSummary[],
  settings: FolderSettings,
  tick: () => void,
): Promise<void> {
  const ambiguous = ambiguousKeys(source, destination);
  if (!ambiguous.size) return;
  const needs = (m: MessageSummary) => ambiguous.has(m.key) && !m.digest;
  for (const [origin, folder] of pair.sources.entries()) {
    await addContentDigests(src, folder.path, source.filter((m) => m.origin === origin && needs(m)), settings.batchBytes, tick);
  }
  await addContentDigests(dst, pair.path, destination.filter(needs), settings.batchBytes, tick);
}

async function readState(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  destinationExists: boolean,
  tick: () => void,
): Promise<FolderState> {
  const since = oldestInScope(settings.filters);
  const sources: FolderListing[] = [];
  for (const [origin, folder] of pair.sources.entries()) {
    sources.push(await listMessages(src, folder.path, { mode: 'read-only', since, origin, tick }));
  }
  const skipped: Partial<Record<SkipReason, number>> = {};
  const olderNotListed = sources.reduce((n, l) => n + l.olderNotListed, 0);
  if (olderNotListed) skipped['older-than-max-age'] = olderNotListed;
  const source = inScope(
    sources.flatMap((l) => l.messages),
    settings.filters,
    skipped,
  );
  const mode = settings.dryRun ? 'read-only' : 'read-write';
  const destination = destinationExists
    ? inScope((await listMessages(dst, pair.path, { mode, since, tick })).messages, settings.filters)
    : [];
  await resolveAmbiguity(pair, src, dst, source, destination, settings, tick);
  return { sources, source, destination, skipped };
}

export async function syncFolder(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  folderChanges: { created: boolean; subscribed: boolean },
  progress: ProgressReporter,
): Promise<FolderSyncResult> {
  const started = Date.now();
  progress.update({ phase: 'messages', folder: pair.logical }, true);
  // In a dry run a folder that would be created does not exist yet: it is empty.
  const destinationExists = !!pair.existing || (folderChanges.created && !settings.dryRun);
  const tick = () => progress.add({});
  const state = await readState(pair, src, dst, settings, destinationExists, tick);
  const plan = matchMessages(state.source, state.destination);
  const result: FolderSyncResult = {
    source: pair.sources.map((s) => s.logical),
    destination: pair.logical,
    destinationPath: pair.path,
    created: folderChanges.created,
    subscribed: folderChanges.subscribed,
    sourceMessages: state.source.length,
    destinationMessages: state.destination.length,
    copied: 0,
    flagsUpdated: 0,
    deletedOnDestination: 0,
    deletedOnSource: 0,
    skipped: state.skipped,
    bytesCopied: 0,
    durationMs: 0,
  };

  if (settings.dryRun) {
    // Exactly what a real run would do, assuming every copy succeeds.
    result.copied = plan.toCopy.length;
    result.bytesCopied = plan.toCopy.reduce((n, m) => n + m.size, 0);
    result.flagsUpdated = plan.flagUpdates.length;
    result.deletedOnDestination = settings.deleteOnDestination ? plan.extra.length : 0;
    result.deletedOnSource = settings.deleteOnSource ? plan.pairs.length + plan.toCopy.length : 0;
    result.durationMs = Date.now() - started;
    return result;
  }

  if (settings.deleteOnDestination && plan.extra.length) {
    await expunge(dst, pair.path, plan.extra.map((m) => m.uid), `deleting extra messages in folder "${pair.logical}"`);
    result.deletedOnDestination = plan.extra.length;
    progress.add({ deletedOnDestination: plan.extra.length });
  }

  result.flagsUpdated = await updateFlags(dst, pair, plan);
  progress.add({ flagsUpdated: result.flagsUpdated });

  const warnings: string[] = [];
  for (const [origin, folder] of pair.sources.entries()) {
    const toCopy = plan.toCopy.filter((m) => m.origin === origin);
    if (!toCopy.length) continue;
    const outcome = await copyMessages(
      { session: src, path: folder.path, logical: folder.logical },
      { session: dst, path: pair.path, logical: pair.logical },
      toCopy,
      settings,
      (copied, bytes) => progress.add({ copied, bytesCopied: bytes }),
    );
    result.copied += outcome.copied;
    result.bytesCopied += outcome.bytes;
    if (outcome.rejected.length) {
      result.skipped['rejected-by-destination'] = (result.skipped['rejected-by-destination'] ?? 0) + outcome.rejected.length;
      for (const r of outcome.rejected) {
        warnings.push(`host2 refused message UID ${r.message.uid} of "${folder.logical}" (${r.message.size} bytes${r.message.messageId ? `, ${r.message.messageId}` : ''}): ${r.reason}`);
      }
    }
  }

  if (settings.deleteOnSource) {
    const deleted = await deleteVerifiedFromSource(pair, src, dst, settings, state, warnings, tick);
    result.deletedOnSource = deleted;
    progress.add({ deletedOnSource: deleted });
  }
  if (warnings.length) result.warnings = warnings.slice(0, WARNINGS_KEPT);
  result.durationMs = Date.now() - started;
  return result;
}

/** host2 takes host1's flags (system flags and keywords); one STORE per distinct flag set. */
async function updateFlags(dst: ImapSession, pair: FolderPair, plan: MessagePlan): Promise<number> {
  if (!plan.flagUpdates.length) return 0;
  const byFlags = new Map<string, { flags: string[]; uids: number[] }>();
  for (const { source, destination } of plan.flagUpdates) {
    const k = source.flags.join(' ');
    const group = byFlags.get(k) ?? { flags: source.flags, uids: [] };
    group.uids.push(destination.uid);
    byFlags.set(k, group);
  }
  await selectFolder(dst, pair.path, 'read-write');
  for (const { flags, uids } of byFlags.values()) {
    let ok: boolean;
    try {
      ok = await dst.client.messageFlagsSet(uids, flags, { uid: true, silent: true });
    } catch (err) {
      throw commandFailure(err, dst.ctx, `updating flags in folder "${pair.logical}"`);
    }
    if (!ok) throw commandFailure(new Error('STORE refused'), dst.ctx, `updating flags in folder "${pair.logical}"`);
  }
  return plan.flagUpdates.length;
}

/** Flags \Deleted and expunges exactly these UIDs (UID EXPUNGE: nobody else's \Deleted). */
async function expunge(session: ImapSession, path: string, uids: number[], doing: string): Promise<void> {
  await selectFolder(session, path, 'read-write');
  let ok: boolean;
  try {
    ok = await session.client.messageDelete(uids, { uid: true });
  } catch (err) {
    throw commandFailure(err, session.ctx, doing);
  }
  if (!ok) throw commandFailure(new Error('EXPUNGE refused'), session.ctx, doing);
}

/**
 * imapsync --delete1, made safe: host2 is listed again after the copy, and only host1
 * messages paired with a message in that fresh listing are expunged.
 */
async function deleteVerifiedFromSource(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  state: FolderState,
  warnings: string[],
  tick: () => void,
): Promise<number> {
  const since = oldestInScope(settings.filters);
  const fresh = inScope((await listMessages(dst, pair.path, { mode: 'read-only', since, tick })).messages, settings.filters);
  await resolveAmbiguity(pair, src, dst, state.source, fresh, settings, tick);
  const verified = matchMessages(state.source, fresh).pairs.map((p) => p.source);
  let deleted = 0;
  for (const [origin, folder] of pair.sources.entries()) {
    const uids = verified.filter((m) => m.origin === origin).map((m) => m.uid);
    if (!uids.length) continue;
    // UIDs are only valid under the UIDVALIDITY they were listed with.
    const mailbox = await selectFolder(src, folder.path, 'read-write');
    if (mailbox.uidValidity.toString() !== state.sources[origin].uidValidity) {
      warnings.push(`host1 folder "${folder.logical}" changed UIDVALIDITY during the sync: nothing deleted from it`);
      continue;
    }
    await expunge(src, folder.path, uids, `deleting copied messages from folder "${folder.logical}"`);
    deleted += uids.length;
  }
  return deleted;
}

function ref(m: MessageSummary): MessageRef {
  return { uid: m.uid, messageId: m.messageId, size: m.size, internalDate: new Date(m.internalDate).toISOString() };
}

/** Compares both sides of one folder without changing anything. */
export async function verifyFolder(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  progress: ProgressReporter,
): Promise<FolderVerifyResult> {
  progress.update({ phase: 'messages', folder: pair.logical }, true);
  const state = await readState(pair, src, dst, { ...settings, dryRun: true }, !!pair.existing, () => progress.add({}));
  const plan = matchMessages(state.source, state.destination);
  return {
    source: pair.sources.map((s) => s.logical),
    destination: pair.logical,
    destinationPath: pair.path,
    existsOnDestination: !!pair.existing,
    sourceMessages: state.source.length,
    destinationMessages: state.destination.length,
    missing: plan.toCopy.length,
    extra: plan.extra.length,
    flagMismatches: plan.flagUpdates.length,
    missingSample: plan.toCopy.slice(0, WARNINGS_KEPT).map(ref),
    extraSample: plan.extra.slice(0, WARNINGS_KEPT).map(ref),
  };
}
