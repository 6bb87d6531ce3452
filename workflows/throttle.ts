// A provider's "not now": throttled, over its command or bandwidth limits, too many
// connections. The sync activity fails with type IMAP_THROTTLED, not retried by its own
// policy, with details [{ side, mailbox, retryAfterMs, reason }]; a workflow reads the wait
// back with throttleOf(failure.details) and tries that mailbox again after it.
// Pure, so workflows and activities share it.

/** The failure type of a throttled sync (activities/imap/errors.ts creates it). */
export const IMAP_THROTTLED = 'ImapThrottled';

/** What a throttled failure carries: its first (and only) details entry. */
export interface ThrottleDetails {
  side: 'host1' | 'host2';
  mailbox: string;
  /** How long to wait before trying that mailbox again (ms, a positive integer). */
  retryAfterMs: number;
  /** The server's words, redacted, at most 300 characters. */
  reason: string;
}

/** The wait and reason of a throttled failure's details (ApplicationFailure.details), if they are one. */
export function throttleOf(details: unknown): { retryAfterMs: number; reason: string } | undefined {
  const first: unknown = Array.isArray(details) ? details[0] : details;
  if (!first || typeof first !== 'object') return undefined;
  const { retryAfterMs, reason } = first as Partial<Record<keyof ThrottleDetails, unknown>>;
  if (typeof retryAfterMs !== 'number' || !Number.isInteger(retryAfterMs) || retryAfterMs <= 0) return undefined;
  if (typeof reason !== 'string') return undefined;
  return { retryAfterMs, reason };
}
