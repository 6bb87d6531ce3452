// Providers' throttle answers (an ImapThrottled failure, workflows/throttle.ts) as the
// mailbox rounds act on them: the mailbox waits on a durable timer for as long as the server
// asked, the round goes on with the other mailboxes meanwhile, and the runbook's status says
// until when. Retrying at once, as an activity's retry policy would, is what makes providers
// lock an account for hours.
import { ActivityFailure, ApplicationFailure, defineSignal, getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { IMAP_THROTTLED, throttleOf } from './throttle';

export interface Throttle {
  /** How long to leave the mailbox alone, as the server asked (or the default for its answer). */
  retryAfterMs: number;
  /** The server's words, redacted by the activity. */
  reason: string;
}

/** A throttled mailbox is tried again at most this many times in one round, then counts as failed. */
export const MAX_THROTTLE_WAITS = 10;
/** One wait never longer than a day: a later round comes anyway. */
export const MAX_THROTTLE_WAIT_MS = 24 * 3_600_000;
/** When a throttle failure gives no usable wait. */
const DEFAULT_WAIT_MS = 5 * 60_000;

/** The throttle in an activity's failure, if the server throttled it. */
export function throttleIn(err: unknown): Throttle | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== IMAP_THROTTLED) return undefined;
  const asked = throttleOf(cause.details) ?? { retryAfterMs: DEFAULT_WAIT_MS, reason: cause.message.slice(0, 300) };
  return { ...asked, retryAfterMs: Math.min(asked.retryAfterMs, MAX_THROTTLE_WAIT_MS) };
}

/** A mailbox waiting out a throttle in a round: when it may go again, and how many waits it had. */
export interface Deferred {
  mailbox: string;
  /** Epoch ms (workflow time). */
  due: number;
  waits: number;
  /** Messages its earlier runs in this round copied (stopped at the daily byte budget): the outcome counts them too. */
  copied?: number;
}

export interface ThrottleNotice {
  mailbox: string;
  /** ISO time the mailbox is tried again. */
  until: string;
  reason: string;
}

/**
 * A round tells the runbook which mailboxes wait until when (status: "throttled until …"): a
 * batch (throttle-notices.ts), or one notice from a round started before batches.
 */
export const mailboxThrottledSignal = defineSignal<[ThrottleNotice[] | ThrottleNotice]>('mailboxThrottled');

/** Tells the round's parent (the runbook); a round started on its own (the scale bench) has no one to tell. */
export async function tellRunbook(notices: ThrottleNotice[] | ThrottleNotice): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId).signal(mailboxThrottledSignal, notices);
  } catch (err) {
    // A runbook that has moved on (rolled back, ended) needs no notice: the round's result says it all.
    const mailboxes = Array.isArray(notices) ? notices.map((n) => n.mailbox) : [notices.mailbox];
    log.warn('could not tell the runbook of throttled mailboxes', { mailboxes: mailboxes.slice(0, 5), count: mailboxes.length, error: (err as Error).message });
  }
}
