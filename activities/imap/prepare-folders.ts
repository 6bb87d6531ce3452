// Makes host2's folder tree ready for the messages: creates the missing folders (parents
// first; servers create missing parents themselves per RFC 3501, and for those that
// refuse we create them one level at a time) and subscribes on host2 what the user
// subscribed on host1, so mail clients show the same folders.
import { commandFailure, isThrottled } from './errors';
import type { FolderPair } from './folder-plan';
import { serverPath } from './folders';
import type { ImapSession } from './session';

export interface FolderChanges {
  created: boolean;
  subscribed: boolean;
}

export interface PreparedFolders {
  /** What is done to each folder (known from the plan, before any command). */
  changes: Map<FolderPair, FolderChanges>;
  /** Settles when the pair's folder exists on host2 (its subscription may follow later). */
  ready(pair: FolderPair): Promise<void>;
  /** Settles when every folder is created and subscribed; rejects with the first failure. */
  done: Promise<void>;
}

/**
 * Creates and subscribes host2's folders in plan order (parents first) on `dst`, in the
 * background: copying into folders that exist already need not wait for the others'
 * round trips. After a failure, the folders not yet created fail with it.
 */
export function prepareDestinationFolders(dst: ImapSession, pairs: FolderPair[], options: { dryRun: boolean; subscribe: boolean }): PreparedFolders {
  const changes = new Map<FolderPair, FolderChanges>();
  for (const pair of pairs) {
    const created = !pair.existing;
    const subscribed = options.subscribe && pair.sources.some((s) => s.subscribed) && !pair.existing?.subscribed;
    changes.set(pair, { created, subscribed });
  }
  const created = new Map<FolderPair, { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void }>();
  for (const pair of pairs) {
    let settle!: { resolve: () => void; reject: (err: unknown) => void };
    const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    promise.catch(() => undefined); // a folder nobody reaches after a failure
    created.set(pair, { promise, ...settle });
  }
  const run = async () => {
    let failure: unknown;
    for (const pair of pairs) {
      const { created: create, subscribed } = changes.get(pair)!;
      const folder = created.get(pair)!;
      if (failure || options.dryRun) {
        if (failure) folder.reject(failure);
        else folder.resolve();
        continue;
      }
      try {
        if (create) await createFolder(dst, pair);
        folder.resolve();
        if (subscribed) await subscribeFolder(dst, pair);
      } catch (err) {
        failure = err;
        folder.reject(err);
      }
    }
    if (failure) throw failure;
  };
  const done = run();
  done.catch(() => undefined); // awaited by the caller after the copies
  return { changes, ready: (pair) => created.get(pair)!.promise, done };
}

async function subscribeFolder(dst: ImapSession, pair: FolderPair): Promise<void> {
  try {
    await dst.client.mailboxSubscribe(pair.path);
  } catch (err) {
    throw commandFailure(err, dst.ctx, `subscribing folder "${pair.logical}"`);
  }
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
