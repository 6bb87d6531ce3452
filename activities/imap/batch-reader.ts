// Reads the bodies of many copy batches with one UID FETCH. imapflow keeps one command in
// flight per connection, so a FETCH per batch leaves host1's link idle for a round trip
// between batches (40 ms on a 40 ms WAN, per 50 messages). Here one command streams up to
// MESSAGES_PER_FETCH messages; each batch is handed over as soon as it is complete, and
// while the hand-over waits (host2 still storing the previous batch) the stream is not
// read on (fetch-stream.ts), so memory stays at about two batches. A group whose UIDs are
// too scattered for one command line (uid-sets.ts) is read with a FETCH per UID set.
import { commandFailure } from './errors';
import { fetchRows } from './fetch-stream';
import { uidSets } from './uid-sets';
import { selectFolder, type MessageSummary } from './inventory';
import type { ImapSession } from './session';

/** Messages asked for in one FETCH: a round trip per this many (more when their UID set is too long for one command). */
export const MESSAGES_PER_FETCH = 1000;

export interface FetchedMessage {
  summary: MessageSummary;
  content: Buffer;
}

/** Consecutive batches grouped into FETCH commands of at most `limit` messages (a larger batch alone). */
function fetchGroups(batches: MessageSummary[][], limit: number): MessageSummary[][][] {
  const groups: MessageSummary[][][] = [];
  let current: MessageSummary[][] = [];
  let count = 0;
  for (const batch of batches) {
    if (current.length && count + batch.length > limit) {
      groups.push(current);
      current = [];
      count = 0;
    }
    current.push(batch);
    count += batch.length;
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * Reads `batches` (each in increasing UID order, batches in increasing order) from the
 * folder `path` and calls `take` with each batch's messages, in order, awaiting it before
 * reading further. A message gone from host1 is simply not in its batch. Should the server
 * answer out of UID order, a message of a batch already handed over goes with the next.
 */
export async function readBatches(
  session: ImapSession,
  path: string,
  logical: string,
  batches: MessageSummary[][],
  take: (messages: FetchedMessage[]) => Promise<void>,
  limit = MESSAGES_PER_FETCH,
): Promise<void> {
  for (const group of fetchGroups(batches, limit)) {
    const batchOf = new Map<number, number>();
    const summaries = new Map<number, MessageSummary>();
    group.forEach((batch, b) => batch.forEach((m) => (batchOf.set(m.uid, b), summaries.set(m.uid, m))));
    let current = 0;
    let filling: FetchedMessage[] = [];
    let takeFailed: { err: unknown } | undefined;
    const handOver = async (upTo: number) => {
      while (current < upTo) {
        const full = filling;
        filling = [];
        current++;
        if (full.length) await take(full).catch((err: unknown) => Promise.reject((takeFailed = { err }).err));
      }
    };
    await selectFolder(session, path, 'read-only');
    const uids = group.flat().map((m) => m.uid);
    const wanted = new Set(uids);
    try {
      // BODY.PEEK[]: reading does not mark anything \Seen on host1. The sets are in UID
      // order, so the batches are handed over in order across them.
      for (const range of uidSets(uids)) {
        await fetchRows(session.client, { range, byUid: true, source: true, uids: wanted }, async (m) => {
          const b = batchOf.get(m.uid);
          if (b === undefined || !m.source) return;
          batchOf.delete(m.uid); // once, should a server repeat itself
          await handOver(b);
          filling.push({ summary: summaries.get(m.uid)!, content: m.source });
        });
      }
    } catch (err) {
      if (takeFailed) throw takeFailed.err;
      throw commandFailure(err, session.ctx, `reading messages of folder "${logical}"`);
    }
    await handOver(group.length);
  }
}
