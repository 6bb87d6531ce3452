// Why a retried notice is not sent twice, and what we can honestly promise.
//
// Workers run on several machines, and an SMTP relay has no "send once" primitive, so
// there is no local record that every worker could check before sending. Instead:
//  1. The Message-ID is derived from the idempotency key (`<sha256(key)@mailshift>`), so
//     every retry produces the same message: receiving systems, mail archives and mail
//     programs that deduplicate by Message-ID show it once, and an operator can prove
//     it was one notice.
//  2. Within one attempt each channel (email, webhook) is sent at most once: nodemailer
//     is given one message and never retries by itself.
//  3. After each channel succeeds, the activity heartbeats `{ idempotencyKey, sent }`.
//     Temporal keeps the last heartbeat details (the SDK flushes them when an attempt
//     fails, even if throttled) and hands them to the next attempt in
//     `activityInfo().heartbeatDetails`: a retry, on any machine, skips what was sent.
// What remains: a worker that dies between the relay's "250 OK" and the heartbeat; the
// retry then sends again, with the same Message-ID (point 1).
import { createHash } from 'node:crypto';
import { asyncLocalStorage } from '@temporalio/activity';

export type Channel = 'email' | 'webhook';

export interface NoticeProgress {
  idempotencyKey: string;
  sent: Channel[];
  /** What the relay answered when the email went out (reported again by a retry). */
  accepted?: string[];
  rejected?: string[];
}

/** `<64 hex digits@mailshift>`: the same key always gives the same Message-ID. */
export function noticeMessageId(idempotencyKey: string): string {
  return `<${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}@mailshift>`;
}

/** What an earlier attempt of this activity already sent for this key (nothing outside an activity). */
export function earlierProgress(idempotencyKey: string): NoticeProgress {
  const details = asyncLocalStorage.getStore()?.info.heartbeatDetails as Partial<NoticeProgress> | undefined;
  if (!details || details.idempotencyKey !== idempotencyKey || !Array.isArray(details.sent)) return { idempotencyKey, sent: [] };
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    idempotencyKey,
    sent: details.sent.filter((c): c is Channel => c === 'email' || c === 'webhook'),
    accepted: strings(details.accepted),
    rejected: strings(details.rejected),
  };
}

/** Records progress for the next attempt; a no-op outside an activity (scripts, tests). */
export function recordSent(progress: NoticeProgress): void {
  asyncLocalStorage.getStore()?.heartbeat(progress);
}
