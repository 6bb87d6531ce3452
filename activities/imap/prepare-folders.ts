// Makes host2's folder tree ready before messages move into it: creates the missing
// folders (parents first; servers create missing parents themselves per RFC 3501, and for
// those that refuse we create them one level at a time) and subscribes on host2 what the
// user subscribed on host1, so mail clients show the same folders.
import { commandFailure, isThrottled } from './errors';
import type { FolderPair } from './folder-plan';
import { serverPath } from './folders';
import type { ImapSession } from './session';

export interface FolderChanges {
  created: boolean;
  subscribed: boolean;
}

/**
 * host2's folders for a plan. What is done to each is known from the plan alone
 * (`changes`); the commands are sent by `prepare`, per folder, on the connection that is
 * about to copy into it, so the round trips are spread over the connections and a folder
 * never waits for the others'. Each folder is created once, after its parents in the plan.
 */
export class DestinationFolders {
  readonly changes = new Map<FolderPair, FolderChanges>();
  private readonly created = new Map<FolderPair, Promise<void>>();
  private readonly prepared = new Map<FolderPair, Promise<void>>();

  constructor(
    private readonly pairs: FolderPair[],
    private readonly options: { dryRun: boolean; subscribe: boolean },
  ) {
    for (const pair of pairs) {
      const created = !pair.existing;
      const subscribed = options.subscribe && pair.sources.some((s) => s.subscribed) && !pair.existing?.subscribed;
      this.changes.set(pair, { created, subscribed });
    }
  }

  /** Creates (parents first) and subscribes the pair's folder on `dst`, once. */
  prepare(pair: FolderPair, dst: ImapSession): Promise<void> {
    let done = this.prepared.get(pair);
    if (!done) {
      done = this.create(pair, dst).then(() => (this.changes.get(pair)!.subscribed && !this.options.dryRun ? subscribeFolder(dst, pair) : undefined));
      remember(this.prepared, pair, done);
    }
    return done;
  }

  /** Prepares, in plan order, the folders no copy went through (unchanged ones to subscribe). */
  async rest(dst: ImapSession): Promise<void> {
    for (const pair of this.pairs) await this.prepare(pair, dst);
  }

  private create(pair: FolderPair, dst: ImapSession): Promise<void> {
    let done = this.created.get(pair);
    if (!done) {
      const parents = this.pairs.filter((p) => p.levels.length < pair.levels.length && p.levels.every((l, i) => l === pair.levels[i]));
      done = (async () => {
        for (const parent of parents) await this.create(parent, dst);
        if (this.changes.get(pair)!.created && !this.options.dryRun) await createFolder(dst, pair);
      })();
      remember(this.created, pair, done);
    }
    return done;
  }
}

/** Keeps a promise for reuse until it fails: a folder done again over a new connection tries again. */
function remember(map: Map<FolderPair, Promise<void>>, pair: FolderPair, done: Promise<void>): void {
  map.set(pair, done);
  done.catch(() => map.get(pair) === done && map.delete(pair));
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
