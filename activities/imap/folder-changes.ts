// The changes a sync makes to one folder's messages, and the checks around them: host2
// takes host1's flags, chosen UIDs are expunged on either side, host1 loses only what a
// fresh listing of host2 proves copied (--delete1 made safe), and whether host2 is still in
// step after our changes (a state is kept only then). Used by sync-folder.ts.
import { commandFailure } from './errors';
import { inScope, resolveAmbiguity, type FolderSettings, type FolderState } from './folder-listing';
import type { FolderPair } from './folder-plan';
import { fetchSummaries, listMessages, selectFolder, statusSnapshot, withoutIdentity, type MessageSummary } from './inventory';
import { oldestInScope } from './message-filters';
import { matchMessages, sameFlags, type MessagePlan } from './message-plan';
import type { ImapSession } from './session';
import { inUidOrder, uidSets } from './uid-sets';
import type { MailboxSnapshot } from './types';

/** Reads the Message-ID of messages listed without their identity, for the warnings that name them. */
export async function withMessageIds(src: ImapSession, path: string, messages: MessageSummary[]): Promise<void> {
  const unknown = messages.filter((m) => withoutIdentity(m));
  if (!unknown.length) return;
  await selectFolder(src, path, 'read-only');
  const listed = new Map(
    (
      await fetchSummaries(
        src,
        path,
        unknown.map((m) => m.uid),
        { byUid: true },
      )
    ).map((m) => [m.uid, m.messageId]),
  );
  for (const m of unknown) m.messageId = listed.get(m.uid);
}

/**
 * host2's folder after our changes, if nobody else changed it since `before`: MESSAGES and
 * UIDNEXT moved by exactly what we did, and the only older messages with a newer MODSEQ
 * are those whose flags we set, with the flags we set. Otherwise undefined (no state kept).
 */
export async function destinationInStep(
  dst: ImapSession,
  pair: FolderPair,
  before: MailboxSnapshot,
  copied: number,
  deleted: number,
  flagsWeSet: Map<number, string[]>,
): Promise<MailboxSnapshot | undefined> {
  const after = await statusSnapshot(dst, pair.path);
  if (!after || after.uidValidity !== before.uidValidity) return undefined;
  if (after.messages !== before.messages - deleted + copied || after.uidNext !== before.uidNext + copied) return undefined;
  if (before.uidNext > 1 && after.highestModseq !== before.highestModseq) {
    await selectFolder(dst, pair.path, 'read-only');
    const changed = await fetchSummaries(dst, pair.path, `1:${before.uidNext - 1}`, { byUid: true, changedSince: BigInt(before.highestModseq) });
    for (const m of changed) {
      const ours = flagsWeSet.get(m.uid);
      if (!ours || !sameFlags(ours, m.flags)) return undefined;
    }
  }
  return after;
}

/** host2 takes host1's flags (system flags and keywords); one STORE per distinct flag set. */
export async function updateFlags(dst: ImapSession, pair: FolderPair, plan: MessagePlan): Promise<number> {
  if (!plan.flagUpdates.length) return 0;
  const byFlags = new Map<string, { flags: string[]; uids: number[] }>();
  for (const { source, destination } of plan.flagUpdates) {
    const k = source.flags.join(' ');
    const group = byFlags.get(k) ?? { flags: source.flags, uids: [] };
    group.uids.push(destination.uid);
    byFlags.set(k, group);
  }
  await selectFolder(dst, pair.path, 'read-write');
  const doing = `updating flags in folder "${pair.logical}"`;
  for (const { flags, uids } of byFlags.values()) {
    await forEachUidSet(dst, uids, doing, 'STORE refused', (set) => dst.client.messageFlagsSet(set, flags, { uid: true, silent: true }));
  }
  return plan.flagUpdates.length;
}

/** Flags \Deleted and expunges exactly these UIDs (UID EXPUNGE: nobody else's \Deleted). */
export async function expunge(session: ImapSession, path: string, uids: number[], doing: string): Promise<void> {
  await selectFolder(session, path, 'read-write');
  await forEachUidSet(session, uids, doing, 'EXPUNGE refused', (set) => session.client.messageDelete(set, { uid: true }));
}

/** `command` on each part of `uids` a server takes (uid-sets.ts); a failure or a refusal says what was being done. */
async function forEachUidSet(session: ImapSession, uids: number[], doing: string, refused: string, command: (set: string) => Promise<boolean>): Promise<void> {
  for (const set of uidSets(inUidOrder(uids))) {
    let ok: boolean;
    try {
      ok = await command(set);
    } catch (err) {
      throw commandFailure(err, session.ctx, doing);
    }
    if (!ok) throw commandFailure(new Error(refused), session.ctx, doing);
  }
}

/**
 * imapsync --delete1, made safe: host2 is listed again after the copy, and only host1
 * messages paired with a message in that fresh listing are expunged.
 */
export async function deleteVerifiedFromSource(
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
