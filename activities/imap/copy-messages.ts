// Copies messages from one host1 folder to one host2 folder, byte for byte, with their
// flags and internal dates. Batches are bounded in count and bytes; the next batch is read
// from host1 while host2 stores the current one, so two batches are in memory, plus the
// copy imapflow's command compiler makes of the one being sent: about 3 × batchBytes
// (or a few times one message, when a single message is larger than a batch).
import { ApplicationFailure } from '@temporalio/common';
import { BudgetReached, type ByteAllowance } from './byte-allowance';
import { commandFailure, formatBytes, IMAP_QUOTA_EXCEEDED, isQuotaError, isThrottled, serverText } from './errors';
import { batchesByBytes, selectFolder, type MessageSummary } from './inventory';
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
  let next: Promise<OutgoingBatch> | undefined = batches.length ? readBatch(from, batches[0]) : undefined;
  try {
    for (let i = 0; i < batches.length; i++) {
      const batch = await next!;
      // Read ahead while host2 commits this batch.
      next = i + 1 < batches.length ? readBatch(from, batches[i + 1]) : undefined;
      outcome.vanished += batch.vanished;
      const stored = await storeBatch(to, batch, options, remainingBytes, outcome);
      remainingBytes -= batches[i].reduce((n, m) => n + m.size, 0);
      outcome.copied += stored.count;
      outcome.bytes += stored.bytes;
      onBatch(stored.count, stored.bytes);
    }
  } finally {
    // On failure the read-ahead is abandoned; its own failure must not go unhandled.
    next?.catch(() => undefined);
  }
  return outcome;
}

interface OutgoingBatch {
  items: { summary: MessageSummary; message: OutgoingMessage }[];
  vanished: number;
}

async function readBatch(from: Endpoint, batch: MessageSummary[]): Promise<OutgoingBatch> {
  await selectFolder(from.session, from.path, 'read-only');
  const sources = new Map<number, Buffer>();
  try {
    // BODY.PEEK[]: reading does not mark anything \Seen on host1.
    for await (const m of from.session.client.fetch(
      batch.map((b) => b.uid),
      { uid: true, source: true },
      { uid: true },
    )) {
      if (m.source) sources.set(m.uid, m.source);
    }
  } catch (err) {
    throw commandFailure(err, from.session.ctx, `reading messages of folder "${from.logical}"`);
  }
  const items = batch
    .filter((s) => sources.has(s.uid))
    .map((summary) => ({
      summary,
      message: { content: sources.get(summary.uid)!, flags: summary.flags, internalDate: summary.internalDate },
    }));
  return { items, vanished: batch.length - items.length };
}

async function storeBatch(
  to: Endpoint,
  batch: OutgoingBatch,
  options: CopyOptions,
  remainingBytes: number,
  outcome: CopyOutcome,
): Promise<{ count: number; bytes: number }> {
  if (!batch.items.length) return { count: 0, bytes: 0 };
  const bytes = batch.items.reduce((n, i) => n + i.message.content.length, 0);
  try {
    await appendMessages(
      to.session.client,
      to.path,
      batch.items.map((i) => i.message),
      options,
    );
    return { count: batch.items.length, bytes };
  } catch (err) {
    if (isQuotaError(err)) throw await quotaExceeded(to, batch.items.length, bytes, remainingBytes, err);
    if (!isRefusal(err)) throw commandFailure(err, to.session.ctx, `copying to folder "${to.logical}"`);
    if (batch.items.length === 1) {
      outcome.rejected.push({ message: batch.items[0].summary, reason: serverText(err, to.session.ctx) });
      return { count: 0, bytes: 0 };
    }
  }
  // The batch was refused as a whole (and stored nothing): find the culprit one by one.
  let count = 0;
  let stored = 0;
  for (const item of batch.items) {
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
