// A round's throttle notices to the runbook, in batches: one signal per deferred mailbox
// (up to ten throttles each per round, and a byte budget's wait every day) grew the
// runbook's history past Temporal's limits at scale, since it only continues-as-new
// between rounds. A notice goes at once when none went in the last interval; later ones
// wait on one durable timer (the latest per mailbox) and go together as one signal.
import { patched, sleep, workflowInfo } from '@temporalio/workflow';
import { jsonBytes } from './payload-budget';
import { tellRunbook, type ThrottleNotice } from './throttled-mailboxes';

/** The runbook hears of a round's throttles at most once per this interval (plus once when a run of the round ends). */
export const NOTICE_INTERVAL_MS = 5 * 60_000;
/** One signal's notices: far under Temporal's 2 MB payload limit, and what the runbook's history grows by per interval at most. */
export const NOTICE_BATCH_BYTES = 64 * 1024;
/** As the activities clip a server's words; a notice is not the place for more. */
const REASON_MAX_CHARS = 300;
/** Rounds of workers before batches send one signal per notice (their histories replay so). */
export const BATCHES_PATCH = 'throttle-notice-batches';

export class ThrottleNotices {
  private readonly buffered = new Map<string, ThrottleNotice>();
  private lastSent = -Infinity;
  private timerSet = false;
  /** The signals sent, in order: a later notice of a mailbox never arrives before an earlier one. */
  private sending = Promise.resolve();

  /** Sends the notice now, or with the next batch; resolves at once (a round started before batches: once sent). */
  async tell(notice: ThrottleNotice): Promise<void> {
    if (!workflowInfo().parent) return; // a round started on its own (the scale bench)
    if (!patched(BATCHES_PATCH)) return tellRunbook(notice);
    this.buffered.delete(notice.mailbox); // the latest notice of a mailbox, in the order they came
    this.buffered.set(notice.mailbox, { ...notice, reason: notice.reason.slice(0, REASON_MAX_CHARS) });
    this.schedule();
  }

  /** Sends every buffered notice and waits for all signals: before the round continues-as-new or returns. */
  async flush(): Promise<void> {
    while (this.buffered.size) this.sendBatch();
    await this.sending;
  }

  private schedule(): void {
    if (this.timerSet || !this.buffered.size) return;
    const wait = this.lastSent + NOTICE_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.sendBatch();
      this.schedule(); // what did not fit in this batch
      return;
    }
    this.timerSet = true;
    // Cancelled only with the round itself: its notices no longer matter.
    sleep(wait).then(
      () => {
        this.timerSet = false;
        this.schedule();
      },
      () => undefined,
    );
  }

  /** Sends the oldest buffered notices that fit in one batch. */
  private sendBatch(): void {
    const batch: ThrottleNotice[] = [];
    let bytes = 2;
    for (const [mailbox, notice] of this.buffered) {
      const size = jsonBytes(notice) + 1;
      if (batch.length && bytes + size > NOTICE_BATCH_BYTES) break;
      batch.push(notice);
      bytes += size;
      this.buffered.delete(mailbox);
    }
    this.lastSent = Date.now();
    this.sending = this.sending.then(() => tellRunbook(batch));
  }
}
