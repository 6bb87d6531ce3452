// Progress goes two ways: Temporal heartbeats when running as an activity (so a dead worker
// is noticed within the heartbeat timeout, the UI shows where it is, and cancellation
// reaches us), and an optional callback for callers outside Temporal (CLI, tests).
// Heartbeat details hold counts and folder names only. Between progress reports (one IMAP
// command can take minutes) a timer keeps the heartbeat going (keepAlive); a connection that
// stops answering is caught by imapflow's socket timeout (session.ts), which fails the attempt.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { keepingAlive } from '../keepalive';
import type { SyncCheckpoint, SyncHeartbeat, SyncProgress } from './types';

export type ProgressListener = (progress: SyncProgress) => void;

/** The activity context, or undefined when called as a plain function. */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export class ProgressReporter {
  private readonly context = activityContext();
  private lastBeat = 0;
  readonly state: SyncProgress;
  /** Sent with every heartbeat (not to the listener): what a retried attempt resumes from. */
  checkpoint?: SyncCheckpoint;

  constructor(
    mailbox: string,
    private readonly listener?: ProgressListener,
    /** Heartbeats closer than this are skipped (the SDK throttles too; this saves the work). */
    private readonly minIntervalMs = 1000,
  ) {
    this.state = {
      mailbox,
      phase: 'folders',
      foldersDone: 0,
      foldersTotal: 0,
      copied: 0,
      flagsUpdated: 0,
      deletedOnDestination: 0,
      deletedOnSource: 0,
      bytesCopied: 0,
      toCopy: 0,
      bytesToCopy: 0,
    };
  }

  /** Applies a change and reports it; throws if the activity was cancelled. */
  update(change: Partial<SyncProgress>, force = false): void {
    Object.assign(this.state, change);
    this.add({}, force);
  }

  /** Adds to the counters and reports; throws if the activity was cancelled. */
  add(
    delta: Partial<
      Pick<SyncProgress, 'copied' | 'flagsUpdated' | 'deletedOnDestination' | 'deletedOnSource' | 'bytesCopied' | 'foldersDone' | 'toCopy' | 'bytesToCopy'>
    >,
    force = false,
  ): void {
    for (const [k, v] of Object.entries(delta) as [keyof typeof delta, number][]) this.state[k] += v;
    const now = Date.now();
    if (force || now - this.lastBeat >= this.minIntervalMs) {
      this.lastBeat = now;
      const snapshot = { ...this.state };
      this.context?.heartbeat(this.details(snapshot));
      this.listener?.(snapshot);
    }
    this.throwIfCancelled();
  }

  /**
   * Runs `work` with a heartbeat at least every KEEPALIVE_MS (in an activity): the current
   * progress and checkpoint again, to Temporal only (the listener hears of changes only).
   */
  keepAlive<T>(work: () => Promise<T>): Promise<T> {
    const context = this.context;
    if (!context) return work();
    return keepingAlive(() => context.heartbeat(this.details({ ...this.state })), work);
  }

  private details(snapshot: SyncProgress): SyncHeartbeat {
    return this.checkpoint ? { ...snapshot, checkpoint: this.checkpoint } : snapshot;
  }

  /** Stops between batches when Temporal asked the activity to stop. */
  throwIfCancelled(): void {
    const signal = this.context?.cancellationSignal;
    if (signal?.aborted) throw signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('activity cancelled');
  }
}
