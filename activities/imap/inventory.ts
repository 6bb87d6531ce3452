// What a folder holds, without the message bodies: UID, size, internal date, flags and the
// identity key (from a few header fields). One FETCH per folder; the bodies are only read
// for the messages that get copied, or to tell apart messages sharing a key.
import type { MailboxObject } from 'imapflow';
import { commandFailure } from './errors';
import { contentDigest, IDENTITY_HEADERS, messageIdentity } from './message-identity';
import type { ImapSession } from './session';

export interface MessageSummary {
  uid: number;
  size: number;
  /** Epoch milliseconds. */
  internalDate: number;
  /** System flags in canonical case, then keywords; sorted; never \Recent (the server's to set). */
  flags: string[];
  key: string;
  messageId?: string;
  /** Full-content digest, only for messages whose key is not unique in the folder. */
  digest?: string;
  /** Which source folder it came from, when several merge into one destination (0 otherwise). */
  origin: number;
}

export interface FolderListing {
  /** UIDs are only meaningful with it (a bigint, as a string). */
  uidValidity: string;
  messages: MessageSummary[];
  /** Messages left out by the server-side SEARCH SINCE: all older than the age window. */
  olderNotListed: number;
}

const SYSTEM_FLAGS = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((f) => [f.toLowerCase(), f]));

export function normaliseFlags(flags: Iterable<string> | undefined): string[] {
  const out = new Set<string>();
  for (const f of flags ?? []) {
    if (f.toLowerCase() === '\\recent') continue;
    out.add(f.startsWith('\\') ? (SYSTEM_FLAGS.get(f.toLowerCase()) ?? f) : f);
  }
  return [...out].sort();
}

/** SELECT (read-write) or EXAMINE (read-only, touches nothing), reusing the open folder. */
export async function selectFolder(session: ImapSession, path: string, mode: 'read-only' | 'read-write'): Promise<MailboxObject> {
  const open = session.client.mailbox;
  if (open && open.path === path && (mode === 'read-only' || !open.readOnly)) return open;
  try {
    return await session.client.mailboxOpen(path, { readOnly: mode === 'read-only' });
  } catch (err) {
    throw commandFailure(err, session.ctx, `opening folder "${path}"`);
  }
}

/**
 * Lists a folder's messages. `since` (epoch ms) narrows the listing on the server first
 * (SEARCH SINCE, by day, with a day's margin for time zones); callers filter exactly.
 */
export async function listMessages(
  session: ImapSession,
  path: string,
  options: { mode: 'read-only' | 'read-write'; since?: number; origin?: number; tick?: () => void },
): Promise<FolderListing> {
  const mailbox = await selectFolder(session, path, options.mode);
  const listing: FolderListing = { uidValidity: mailbox.uidValidity.toString(), messages: [], olderNotListed: 0 };
  if (!mailbox.exists) return listing;
  try {
    let range: string | number[] = '1:*';
    let byUid = false;
    if (options.since !== undefined) {
      const found = (await session.client.search({ since: new Date(options.since - 24 * 3600 * 1000) }, { uid: true })) || [];
      listing.olderNotListed = Math.max(0, mailbox.exists - found.length);
      if (!found.length) return listing;
      range = found;
      byUid = true;
    }
    const query = { uid: true, flags: true, size: true, internalDate: true, headers: [...IDENTITY_HEADERS] };
    for await (const m of session.client.fetch(range, query, { uid: byUid })) {
      const size = m.size ?? 0;
      const { key, messageId } = messageIdentity(m.headers, size);
      listing.messages.push({
        uid: m.uid,
        size,
        internalDate: m.internalDate ? new Date(m.internalDate).getTime() : 0,
        flags: normaliseFlags(m.flags),
        key,
        messageId,
        origin: options.origin ?? 0,
      });
      // A folder of 100,000 messages takes a while: keep the activity's heartbeat going.
      if (listing.messages.length % 1000 === 0) options.tick?.();
    }
  } catch (err) {
    throw commandFailure(err, session.ctx, `listing messages of folder "${path}"`);
  }
  return listing;
}

/**
 * Sets `digest` on the given messages of the selected folder, reading their bodies in
 * batches of at most `batchBytes` (one message alone when it is larger).
 */
export async function addContentDigests(
  session: ImapSession,
  path: string,
  messages: MessageSummary[],
  batchBytes: number,
  tick?: () => void,
): Promise<void> {
  if (!messages.length) return;
  await selectFolder(session, path, 'read-only');
  const byUid = new Map(messages.map((m) => [m.uid, m]));
  for (const batch of batchesByBytes(messages, batchBytes, 500)) {
    try {
      for await (const m of session.client.fetch(batch.map((b) => b.uid), { uid: true, source: true }, { uid: true })) {
        const target = byUid.get(m.uid);
        if (target && m.source) target.digest = contentDigest(m.source);
      }
    } catch (err) {
      throw commandFailure(err, session.ctx, `reading messages of folder "${path}"`);
    }
    tick?.();
  }
}

/** Splits a list into runs of at most `maxCount` items and `maxBytes` (a larger item goes alone). */
export function batchesByBytes<T extends { size: number }>(items: T[], maxBytes: number, maxCount: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length && (bytes + item.size > maxBytes || current.length >= maxCount)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length) batches.push(current);
  return batches;
}
