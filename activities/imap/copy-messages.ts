// Copies messages from one host1 folder to one host2 folder, byte for byte, with their
// flags and internal dates. Batches are bounded in count and bytes; host1 streams many of
// them in one FETCH (batch-reader.ts) and sends the next batch while host2 stores the
// current one, so two batches are in memory, plus the copy imapflow's command compiler
// makes of the one being sent: about 3 × batchBytes (or a few times one message, when a
// single message is larger than a batch).
import { ApplicationFailure } from '@temporalio/common';
import { BudgetReached, type ByteAllowance } from './byte-allowance';
import { commandFailure, formatBytes, IMAP_QUOTA_EXCEEDED, isQuotaError, isThrottled, serverText } from './errors';
import { readBatches, type FetchedMessage } from './batch-reader';
import { batchesByBytes, type MessageSummary } from './inventory';
import { appendMessages, type OutgoingMessage } from './multiappend';
import type { ImapSession } from './session';

export interface CopyOptions {
  batchMessages: number;
  batchBytes: number;
  multiappend: boolean;
  /** What the sync may still copy (SyncRequest.maxBytes); absent: no limit. */
  allowance?: ByteAllowance;
}

export interface CopyOutcome {
  copied: number;
  bytes: number;
  /** Messages host2 refused one by one (not for quota: that stops the sync). */
  rejected: { message: MessageSummary; reason: string }[];
  /** Messages gone from host1 between listing and copying. */
  vanished: number;
}

interface Endpoint {
  session: ImapSession;
  path: string;
  /** Logical folder name, for messages. */
  logical: string;
}

export async function copyMessages(
  from: Endpoint,
  to: Endpoint,
  messages: MessageSummary[],
  options: CopyOptions,
  onBatch: (copied: number, bytes: number) => void,
): Promise<CopyOutcome> {
  const { allowance } = options;
  if (!allowance) return copyAll(from, to, messages, options, onBatch);
  const fitting = allowance.reserve(messages);
  const reserved = fitting.reduce((n, m) => n + m.size, 0);
  // What was stored counts even when the copy fails half-way.
  let stored = 0;
  let outcome: CopyOutcome;
  try {
    outcome = await copyAll(from, to, fitting, options, (count, bytes) => (onBatch(count, bytes), (stored += bytes)));
  } finally {
    allowance.settle(reserved, stored);
  }
  if (fitting.length < messages.length) throw new BudgetReached();
  return outcome;
}

async function copyAll(
  from: Endpoint,
  to: Endpoint,
  messages: MessageSummary[],
  options: CopyOptions,
  onBatch: (copied: number, bytes: number) => void,
): Promise<CopyOutcome> {
  const outcome: CopyOutcome = { copied: 0, bytes: 0, rejected: [], vanished: 0 };
  const batches = batchesByBytes(messages, options.batchBytes, options.batchMessages);
  let remainingBytes = messages.reduce((n, m) => n + m.size, 0);
  let received = 0;
  const store = async (fetched: FetchedMessage[]) => {
    const items = fetched.map(({ summary, content }) => ({ summary, message: { content, flags: summary.flags, internalDate: summary.internalDate } }));
    const stored = await storeBatch(to, items, options, remainingBytes, outcome);
    remainingBytes -= fetched.reduce((n, f) => n + f.summary.size, 0);
    outcome.copied += stored.count;
    outcome.bytes += stored.bytes;
    onBatch(stored.count, stored.bytes);
  };
  // host2 stores one batch while host1 sends the next: the reader waits here for the store before.
  let storing: Promise<void> = Promise.resolve();
  try {
    await readBatches(from.session, from.path, from.logical, batches, async (fetched) => {
      received += fetched.length;
      await storing;
      storing = store(fetched);
      storing.catch(() => undefined); // awaited by the next hand-over or below
    });
    await storing;
  } catch (err) {
    // Never leave an APPEND running behind the failure.
    await storing.catch(() => undefined);
    throw err;
  }
  outcome.vanished = messages.length - received;
  return outcome;
}

type OutgoingItem = { summary: MessageSummary; message: OutgoingMessage };

async function storeBatch(
  to: Endpoint,
  items: OutgoingItem[],
  options: CopyOptions,
  remainingBytes: number,
  outcome: CopyOutcome,
): Promise<{ count: number; bytes: number }> {
  const bytes = items.reduce((n, i) => n + i.message.content.length, 0);
  try {
    await appendMessages(
      to.session.client,
      to.path,
      items.map((i) => i.message),
      options,
    );
    return { count: items.length, bytes };
  } catch (err) {
    if (isQuotaError(err)) throw await quotaExceeded(to, items.length, bytes, remainingBytes, err);
    if (!isRefusal(err)) throw commandFailure(err, to.session.ctx, `copying to folder "${to.logical}"`);
    if (items.length === 1) {
      outcome.rejected.push({ message: items[0].summary, reason: serverText(err, to.session.ctx) });
      return { count: 0, bytes: 0 };
    }
  }
  // The batch was refused as a whole (and stored nothing): find the culprit one by one.
  let count = 0;
  let stored = 0;
  for (const item of items) {
    try {
      await appendMessages(to.session.client, to.path, [item.message], { multiappend: false });
      count++;
      stored += item.message.content.length;
    } catch (err) {
      if (isQuotaError(err)) throw await quotaExceeded(to, 1, item.message.content.length, remainingBytes - stored, err);
      if (!isRefusal(err)) throw commandFailure(err, to.session.ctx, `copying to folder "${to.logical}"`);
      outcome.rejected.push({ message: item.summary, reason: serverText(err, to.session.ctx) });
    }
  }
  return { count, bytes: stored };
}

/**
 * The server answered NO/BAD to this command (or imapflow refused a message over the
 * server's APPENDLIMIT before sending it): the connection is fine, the message is not.
 * A throttled answer (Microsoft 365 throttles with BAD, Gmail's limits come as NO) is not
 * about the message: it fails the copy as ImapThrottled, nothing is marked refused.
 */
function isRefusal(err: unknown): boolean {
  const e = (err ?? {}) as { responseStatus?: string; serverResponseCode?: string };
  if (isThrottled(err)) return false;
  return e.responseStatus === 'NO' || e.responseStatus === 'BAD' || e.serverResponseCode === 'APPENDLIMIT';
}

async function quotaExceeded(to: Endpoint, count: number, bytes: number, remainingBytes: number, err: unknown): Promise<ApplicationFailure> {
  const { ctx } = to.session;
  let usage = '';
  try {
    const quota = await to.session.client.getQuota(to.path);
    const storage = quota ? quota.storage : undefined;
    if (storage?.limit !== undefined) usage = `; quota ${formatBytes(storage.usage ?? 0)} used of ${formatBytes(storage.limit)}`;
  } catch {
    // The quota is only there to make the message clearer.
  }
  return ApplicationFailure.nonRetryable(
    `${ctx.side} mailbox ${ctx.mailbox} (login ${ctx.user}): quota exceeded copying to folder "${to.logical}": ` +
      `${count} message(s) of ${formatBytes(bytes)} refused${usage}; ${formatBytes(remainingBytes)} still to copy in this folder ` +
      `(server said: ${serverText(err, ctx)})`,
    IMAP_QUOTA_EXCEEDED,
    { side: ctx.side, mailbox: ctx.mailbox, folder: to.logical, refusedBytes: bytes, remainingBytes },
  );
}
