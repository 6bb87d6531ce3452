// Makes host2's folder tree ready before any message moves: creates the missing folders
// (parents first; servers create missing parents themselves per RFC 3501, and for those
// that refuse we create them one level at a time) and subscribes on host2 what the user
// subscribed on host1, so mail clients show the same folders.
import { commandFailure, isThrottled } from './errors';
import type { FolderPair } from './folder-plan';
import { serverPath } from './folders';
import type { ImapSession } from './session';

export interface FolderChanges {
  created: boolean;
  subscribed: boolean;
}

export async function prepareDestinationFolders(
  dst: ImapSession,
  pairs: FolderPair[],
  options: { dryRun: boolean; subscribe: boolean },
): Promise<Map<FolderPair, FolderChanges>> {
  const changes = new Map<FolderPair, FolderChanges>();
  for (const pair of pairs) {
    const created = !pair.existing;
    const subscribed = options.subscribe && pair.sources.some((s) => s.subscribed) && !pair.existing?.subscribed;
    changes.set(pair, { created, subscribed });
    if (options.dryRun) continue;
    if (created) await createFolder(dst, pair);
    if (subscribed) {
      try {
        await dst.client.mailboxSubscribe(pair.path);
      } catch (err) {
        throw commandFailure(err, dst.ctx, `subscribing folder "${pair.logical}"`);
      }
    }
  }
  return changes;
}

async function createFolder(dst: ImapSession, pair: FolderPair): Promise<void> {
  try {
    await dst.client.mailboxCreate(pair.path);
    return;
  } catch (err) {
    // A throttled NO is not about the folder: trying its parents would only add commands.
    if ((err as { responseStatus?: string }).responseStatus !== 'NO' || pair.levels.length < 2 || isThrottled(err)) {
      throw commandFailure(err, dst.ctx, `creating folder "${pair.logical}"`);
    }
  }
  // Refused: maybe a server that wants the parents first.
  for (let n = 1; n <= pair.levels.length; n++) {
    const path = serverPath(pair.levels.slice(0, n), dst.namespace);
    try {
      await dst.client.mailboxCreate(path); // "already exists" is not an error for imapflow
    } catch (err) {
      throw commandFailure(err, dst.ctx, `creating folder "${pair.levels.slice(0, n).join('/')}"`);
    }
  }
}
