// The activities: syncMailbox copies one mailbox from host1 to host2 (imapsync's job: a
// pre-sync, the final sync or a post-sync, depending on the options the workflow passes);
// verifyMailbox compares both sides without changing anything. Both are safe to retry:
// messages are recognised by identity, so a second run copies only what is missing.
import { BudgetReached } from './byte-allowance';
import { carriedMarks, usableMarks } from './destination-marks';
import { withRetryDelay } from './errors';
import { planFolders, type FolderPair, type FolderPlan } from './folder-plan';
import { listFolders } from './folders';
import { checkRequest, folderSettings, parallelFolders } from './sync-request';
import { DestinationFolders } from './prepare-folders';
import { hasCondstore } from './inventory';
import { activityContext, ProgressReporter, type ProgressListener } from './progress';
import { connectPair, extraPairs, forEachFolder, openPairs, type Connection } from './connections';
import { marksByFolder, sourceMarks } from './source-marks';
import { syncFolder, unchangedFolder, type FolderIncremental } from './sync-folder';
import { verifyFolder } from './verify-folder';
import { host2Limits, messageLimit, sizeAudit } from './size-audit';
import { checkpointOf, decideFolder, emptyState, pairKey, scopeKey, usableFolders } from './sync-state';
import type { DestinationMark, FolderSyncResult, FolderSyncState, FolderVerifyResult, SyncRequest, SyncResult, SyncTotals, VerifyResult } from './types';

async function planMailbox(req: SyncRequest, conn: Connection, status = { source: false, destination: false }): Promise<FolderPlan> {
  const [source, destination] = await Promise.all([listFolders(conn.src, { status: status.source }), listFolders(conn.dst, { status: status.destination })]);
  return planFolders(source, destination, conn.dst.namespace, req.folders);
}

/** host1 messages a folder's sync lists (new ones only, when incremental); Infinity when the listing gave no counters. */
function messagesToRead(p: FolderPair, incremental?: FolderIncremental): number {
  const decision = incremental?.decision;
  return p.sources.reduce((n, s, i) => {
    const before = decision?.mode === 'incremental' ? incremental!.previous!.sources[i].at.messages : 0;
    return n + (s.status ? Math.max(0, s.status.messages - before) : Infinity);
  }, 0);
}

function totalsOf(folders: FolderSyncResult[]): SyncTotals {
  const t: SyncTotals = {
    sourceMessages: 0,
    destinationMessages: 0,
    copied: 0,
    flagsUpdated: 0,
    deletedOnDestination: 0,
    extraOnDestination: 0,
    keptOnDestination: 0,
    deletedOnSource: 0,
    skipped: 0,
    bytesCopied: 0,
  };
  for (const f of folders) {
    t.sourceMessages += f.sourceMessages;
    t.destinationMessages += f.destinationMessages;
    t.copied += f.copied;
    t.flagsUpdated += f.flagsUpdated;
    t.deletedOnDestination += f.deletedOnDestination;
    t.extraOnDestination += f.extraOnDestination ?? 0; // none in a checkpoint from an older worker
    t.keptOnDestination += f.keptOnDestination ?? 0;
    t.deletedOnSource += f.deletedOnSource;
    t.skipped += Object.values(f.skipped).reduce((n, v) => n + (v ?? 0), 0);
    t.bytesCopied += f.bytesCopied;
  }
  return t;
}

/**
 * What both activities share: the progress reporter, with the heartbeat kept going while
 * `work` runs (a single IMAP command can outlast the heartbeat timeout), and the failure
 * an attempt ends with given its wait before the next attempt (errors.ts).
 */
async function runReporting<T>(req: SyncRequest, onProgress: ProgressListener | undefined, work: (progress: ProgressReporter) => Promise<T>): Promise<T> {
  const progress = new ProgressReporter(req.mailbox, onProgress);
  try {
    return await progress.keepAlive(() => work(progress));
  } catch (err) {
    const attempt = activityContext()?.info.attempt;
    throw attempt === undefined ? err : withRetryDelay(err, attempt);
  }
}

/**
 * Copies a mailbox from host1 (`req.source`) to host2 (`req.destination`). Heartbeats its
 * progress when run as an activity; `onProgress` receives the same outside one.
 *
 * Incremental: with `req.previous` (the last run's `result.state`), folders unchanged on
 * both sides are not listed at all, and folders that only received new mail on host1 copy
 * just that (see sync-state.ts). Resumable: the heartbeat carries a checkpoint (the state
 * of the folders finished so far); a retried attempt skips those that have not changed
 * since and reports them as they were.
 */
export function syncMailbox(req: SyncRequest, onProgress?: ProgressListener): Promise<SyncResult> {
  return runReporting(req, onProgress, (progress) => copyMailbox(req, progress));
}

async function copyMailbox(req: SyncRequest, progress: ProgressReporter): Promise<SyncResult> {
  const started = Date.now();
  checkRequest(req);
  const settings = folderSettings(req, started);
  const pair = pairKey(req);
  const checkpoint = checkpointOf(activityContext()?.info.heartbeatDetails);
  const usableCheckpoint = checkpoint?.state.pair === pair ? checkpoint : undefined;
  const previous = usableFolders(pair, req.previous, usableCheckpoint?.state);
  const previousMarks = usableMarks(pair, req.previous, usableCheckpoint?.state);
  const resumed = new Map((usableCheckpoint?.folders ?? []).map((f) => [f.destinationPath, f]));
  progress.update({ phase: 'folders' }, true);
  const first = await connectPair(req);
  try {
    // host1's status always: it gives the source marks (what existed when this run started).
    const plan = await planMailbox(req, first, { source: true, destination: previous.size > 0 });
    const marks = await sourceMarks(first.src, plan.pairs);
    const folders = new DestinationFolders(plan.pairs, { dryRun: settings.dryRun, subscribe: req.subscribe ?? true });
    const { changes } = folders;
    progress.update({ foldersTotal: plan.pairs.length });
    // A state is kept only where it can be proved and reused: CONDSTORE on both sides, and
    // not with options whose effect does not depend on changes (delete1, min-age).
    const stateless = !!req.deleteOnSource || req.minAgeDays !== undefined;
    const keepState = !stateless && !settings.dryRun && hasCondstore(first.src) && hasCondstore(first.dst);

    const results: FolderSyncResult[] = new Array(plan.pairs.length);
    const states: (FolderSyncState | undefined)[] = new Array(plan.pairs.length);
    // Folders skipped as unchanged keep their mark: carriedMarks passes every previous one on.
    const destinationMarks: (DestinationMark | undefined)[] = new Array(plan.pairs.length);
    const todo: { index: number; incremental: FolderIncremental }[] = [];
    const checkpointFolders: FolderSyncResult[] = [];
    const saveCheckpoint = () => {
      progress.checkpoint = {
        state: {
          ...emptyState(pair, started),
          folders: states.filter((s): s is FolderSyncState => !!s),
          destinationMarks: carriedMarks(previousMarks, destinationMarks),
        },
        folders: checkpointFolders,
      };
    };
    plan.pairs.forEach((p, index) => {
      const sourcePaths = p.sources.map((s) => s.path);
      const scope = scopeKey(req, sourcePaths, p.path);
      const before = previous.get(p.path);
      const decision = decideFolder(
        before,
        { sourcePaths, destinationPath: p.path, sources: p.sources.map((s) => s.status), destination: p.existing?.status, scope },
        keepState,
      );
      if (decision.mode === 'unchanged' && !stateless) {
        const done = resumed.get(p.path);
        results[index] = done ? { ...done, resumed: true } : unchangedFolder(p, changes.get(p)!, before!);
        if (done) checkpointFolders.push(done);
        settings.allowance?.charge(done?.bytesCopied ?? 0); // copied by an earlier attempt, today
        states[index] = before;
        progress.add({
          foldersDone: 1,
          copied: done?.copied ?? 0,
          bytesCopied: done?.bytesCopied ?? 0,
          toCopy: done?.copied ?? 0,
          bytesToCopy: done?.bytesCopied ?? 0,
          flagsUpdated: done?.flagsUpdated ?? 0,
          deletedOnDestination: done?.deletedOnDestination ?? 0,
        });
        return;
      }
      todo.push({
        index,
        incremental: {
          decision: decision.mode === 'unchanged' ? { mode: 'full' } : decision,
          previous: before,
          scope,
          keepState,
          sourcesNow: p.sources.map((s) => s.status),
          mark: previousMarks.get(p.path),
        },
      });
    });
    saveCheckpoint();

    // The largest folders first, so that the last ones to finish are small.
    const work = new Map(todo.map((t) => [t, messagesToRead(plan.pairs[t.index], t.incremental)]));
    todo.sort((a, b) => work.get(b)! - work.get(a)!);
    const extra = openPairs(req, extraPairs([...work.values()], parallelFolders(req)), first);
    const copyFolders = forEachFolder(req, first, extra, todo, async ({ index, incremental }, conn, reconnected) => {
      const p = plan.pairs[index];
      // Copying new messages only would copy again what the lost connection copied: compare in full.
      const how: FolderIncremental = reconnected ? { ...incremental, decision: { mode: 'full', reason: 'connection lost mid-folder' } } : incremental;
      const outcome = await syncFolder(p, conn.src, conn.dst, settings, changes.get(p)!, progress, how, folders.prepare(p, conn.dst));
      results[index] = outcome.result;
      states[index] = outcome.state;
      destinationMarks[index] = outcome.mark;
      if (outcome.state) checkpointFolders.push(outcome.result);
      if (outcome.state || outcome.mark) saveCheckpoint();
      progress.add({ foldersDone: 1 }, true);
    });
    // At the byte budget the sync ends early: the folders it finished are kept (with their
    // state, as a checkpoint is), the one it stopped in is compared in full next time.
    await copyFolders.catch((err: unknown) => {
      if (!(err instanceof BudgetReached)) throw err;
    });
    await folders.rest(first.dst);
    const { allowance } = settings;
    progress.update({ phase: 'done', folder: undefined }, true);
    const state = settings.dryRun
      ? (req.previous ?? emptyState(pair, started))
      : {
          ...emptyState(pair, started),
          folders: states.filter((s): s is FolderSyncState => !!s),
          destinationMarks: carriedMarks(previousMarks, destinationMarks),
        };
    const finished = results.filter((r) => !!r);
    return {
      mailbox: req.mailbox,
      dryRun: settings.dryRun,
      folders: finished,
      excludedFolders: plan.excluded,
      totals: totalsOf(finished),
      ...(allowance && { byteBudget: { spent: allowance.spent, reached: allowance.reached } }),
      durationMs: Date.now() - started,
      state,
      sourceMarks: marks,
    };
  } finally {
    await Promise.all([first.src.close(), first.dst.close()]);
  }
}

/**
 * Compares host1 and host2 folder by folder, by message identity, within the request's
 * folder rules and filters. Changes nothing; the deletion and dry-run options are ignored.
 * With `req.asOf` (a sync's `sourceMarks`), only the host1 messages that existed when that
 * sync started are judged (see source-marks.ts).
 */
export function verifyMailbox(req: SyncRequest, onProgress?: ProgressListener): Promise<VerifyResult> {
  return runReporting(req, onProgress, (progress) => compareMailbox(req, progress));
}

async function compareMailbox(req: SyncRequest, progress: ProgressReporter): Promise<VerifyResult> {
  const started = Date.now();
  checkRequest(req);
  progress.update({ phase: 'folders' }, true);
  const first = await connectPair(req);
  try {
    const limits = await host2Limits(first.dst, req.destinationMaxMessageBytes);
    const settings = { ...folderSettings(req, started, true), messageLimit: messageLimit(limits) ?? undefined };
    const plan = await planMailbox(req, first);
    progress.update({ foldersTotal: plan.pairs.length });
    const asOf = req.asOf && marksByFolder(req.asOf);
    const work = plan.pairs.map((p) => messagesToRead(p));
    const extra = openPairs(req, extraPairs(work, parallelFolders(req)), first);
    const folders: FolderVerifyResult[] = await forEachFolder(req, first, extra, plan.pairs, async (pair, conn) => {
      const result = await verifyFolder(pair, conn.src, conn.dst, settings, progress, asOf);
      progress.add({ foldersDone: 1 });
      return result;
    });
    progress.update({ phase: 'done', folder: undefined }, true);
    const sum = (k: 'missing' | 'extra' | 'flagMismatches') => folders.reduce((n, f) => n + f[k], 0);
    return {
      mailbox: req.mailbox,
      // A folder that appeared on host1 after the asOf sync started is the post-sync's to create.
      ok: sum('missing') === 0 && folders.every((f) => f.existsOnDestination || f.afterMark),
      folders,
      excludedFolders: plan.excluded,
      destinationOnlyFolders: plan.destinationOnly,
      missing: sum('missing'),
      extra: sum('extra'),
      flagMismatches: sum('flagMismatches'),
      durationMs: Date.now() - started,
      size: sizeAudit(folders, limits),
    };
  } finally {
    await Promise.all([first.src.close(), first.dst.close()]);
  }
}
