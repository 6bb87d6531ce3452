// What a folder holds, without the message bodies: UID, size, internal date, flags and the
// identity key (from a few header fields). One FETCH per folder; the bodies are only read
// for the messages that get copied, or to tell apart messages sharing a key.
import type { MailboxObject } from 'imapflow';
import { commandFailure } from './errors';
import { fetchRows, type FetchedRow } from './fetch-stream';
import { inUidOrder, uidSet, uidSets } from './uid-sets';
import { contentDigest, IDENTITY_HEADERS, messageIdentity } from './message-identity';
import type { ImapSession } from './session';
import { snapshotOf } from './sync-state';
import type { MailboxSnapshot } from './types';

export interface MessageSummary {
  uid: number;
  size: number;
  /** Epoch milliseconds. */
  internalDate: number;
  /** System flags in canonical case, then keywords; sorted; never \Recent (the server's to set). */
  flags: string[];
  /** The identity (message-identity.ts); `#<origin>.<uid>`, matching nothing, when listed without it. */
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
  /** UIDNEXT when the folder was selected. */
  uidNext: number;
  messages: MessageSummary[];
  /** Messages left out by the server-side SEARCH SINCE: all older than the age window. */
  olderNotListed: number;
  /** The folder's STATUS taken before the listing (when asked for and the server has CONDSTORE). */
  snapshot?: MailboxSnapshot;
}

/** Listed without the identity headers (fetchSummaries with `identity: false`). */
export const withoutIdentity = (m: MessageSummary): boolean => m.key.startsWith('#');

const SYSTEM_FLAGS = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((f) => [f.toLowerCase(), f]));

// Most messages of a folder share a handful of flag sets: a listing of 200,000 keeps one
// frozen array per set, not one per message (about 60 bytes each). Bounded, for keywords.
const SHARED_FLAG_SETS = 1000;
const flagSets = new Map<string, readonly string[]>();

export function normaliseFlags(flags: Iterable<string> | undefined): string[] {
  const out = new Set<string>();
  for (const f of flags ?? []) {
    if (f.toLowerCase() === '\\recent') continue;
    out.add(f.startsWith('\\') ? (SYSTEM_FLAGS.get(f.toLowerCase()) ?? f) : f);
  }
  const sorted = [...out].sort();
  const id = sorted.join(' ');
  const shared = flagSets.get(id);
  if (shared) return shared as string[];
  if (flagSets.size < SHARED_FLAG_SETS) flagSets.set(id, Object.freeze(sorted));
  return sorted;
}

/** SELECT (read-write) or EXAMINE (read-only, touches nothing), reusing the open folder. */
export async function selectFolder(session: ImapSession, path: string, mode: 'read-only' | 'read-write'): Promise<MailboxObject> {
  const open = session.client.mailbox;
  if (open && open.path === path && (mode === 'read-only' || !open.readOnly)) return open;
  const openIt = () => session.client.mailboxOpen(path, { readOnly: mode === 'read-only' });
  try {
    return await openIt().catch((err: { serverResponseCode?: string }) => {
      // Dovecot creates its `auto` folders (Trash…) when first opened: two connections of the
      // mailbox opening one at once, the one that lost the race is told ALREADYEXISTS.
      if (err?.serverResponseCode === 'ALREADYEXISTS') return openIt();
      throw err;
    });
  } catch (err) {
    throw commandFailure(err, session.ctx, `opening folder "${path}"`);
  }
}

/** STATUS of a folder (allowed on the selected one too), when it has HIGHESTMODSEQ. */
export async function statusSnapshot(session: ImapSession, path: string): Promise<MailboxSnapshot | undefined> {
  if (!hasCondstore(session)) return undefined;
  try {
    const status = await session.client.status(path, { messages: true, uidNext: true, uidValidity: true, highestModseq: true });
    return snapshotOf(status || undefined);
  } catch (err) {
    throw commandFailure(err, session.ctx, `reading the status of folder "${path}"`);
  }
}

/** CONDSTORE is on for this connection (imapflow ENABLEs it when offered). */
export function hasCondstore(session: ImapSession): boolean {
  const c = session.client;
  return c.capabilities.has('CONDSTORE') || c.capabilities.has('QRESYNC');
}

/**
 * Lists a folder's messages. `since` (epoch ms) narrows the listing on the server first
 * (SEARCH SINCE, by day, with a day's margin for time zones); callers filter exactly.
 * With `snapshot`, the folder's STATUS is read first (before the listing: whatever arrives
 * later is newer than the snapshot).
 */
export async function listMessages(
  session: ImapSession,
  path: string,
  options: { mode: 'read-only' | 'read-write'; since?: number; origin?: number; tick?: () => void; snapshot?: boolean; identity?: boolean },
): Promise<FolderListing> {
  const mailbox = await selectFolder(session, path, options.mode);
  const listing: FolderListing = { uidValidity: mailbox.uidValidity.toString(), uidNext: mailbox.uidNext, messages: [], olderNotListed: 0 };
  if (options.snapshot) listing.snapshot = await statusSnapshot(session, path);
  if (!mailbox.exists) return listing;
  let range: string | number[] = '1:*';
  let byUid = false;
  if (options.since !== undefined) {
    let found: number[];
    try {
      found = (await session.client.search({ since: new Date(options.since - 24 * 3600 * 1000) }, { uid: true })) || [];
    } catch (err) {
      throw commandFailure(err, session.ctx, `listing messages of folder "${path}"`);
    }
    listing.olderNotListed = Math.max(0, mailbox.exists - found.length);
    if (!found.length) return listing;
    range = found;
    byUid = true;
  }
  listing.messages = await fetchSummaries(session, path, range, { byUid, origin: options.origin, tick: options.tick, identity: options.identity });
  return listing;
}

/**
 * Summaries (no bodies) of the messages in `range` of the selected folder; with
 * `changedSince` (CONDSTORE), only those whose MODSEQ is higher; with `identity: false`,
 * without the identity headers (for copying into an empty folder: nothing to pair with).
 */
export async function fetchSummaries(
  session: ImapSession,
  path: string,
  range: string | number[],
  options: { byUid: boolean; origin?: number; tick?: () => void; changedSince?: bigint; identity?: boolean },
): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  const identity = options.identity ?? true;
  const origin = options.origin ?? 0;
  const items = {
    flags: true,
    size: true,
    internalDate: true,
    ...(identity && { headers: true, headerFields: IDENTITY_HEADERS }),
    ...(options.changedSince !== undefined && { changedSince: options.changedSince }),
  };
  // A list of UIDs (a SEARCH result) goes in parts a server takes.
  const ranges = typeof range === 'string' ? [range] : uidSets(inUidOrder(range));
  const onRow = (m: FetchedRow) => {
    const size = m.size ?? 0;
    const { key, messageId } = identity ? messageIdentity(m.headers, size) : { key: `#${origin}.${m.uid}`, messageId: undefined };
    out.push({
      uid: m.uid,
      size,
      internalDate: m.internalDate ?? 0,
      flags: normaliseFlags(m.flags),
      key,
      messageId,
      origin,
    });
    // A folder of 100,000 messages takes a while: keep the activity's heartbeat going.
    if (out.length % 1000 === 0) options.tick?.();
  };
  try {
    for (const set of ranges) await fetchRows(session.client, { range: set, byUid: options.byUid, ...items }, onRow);
  } catch (err) {
    throw commandFailure(err, session.ctx, `listing messages of folder "${path}"`);
  }
  return out;
}

/**
 * Sets `digest` on the given messages of the selected folder, reading their bodies in
 * batches of at most `batchBytes` (one message alone when it is larger).
 */
export async function addContentDigests(session: ImapSession, path: string, messages: MessageSummary[], batchBytes: number, tick?: () => void): Promise<void> {
  if (!messages.length) return;
  await selectFolder(session, path, 'read-only');
  const byUid = new Map(messages.map((m) => [m.uid, m]));
  for (const batch of batchesByBytes(messages, batchBytes, 500)) {
    try {
      const uids = batch.map((b) => b.uid);
      await fetchRows(session.client, { range: uidSet(uids), byUid: true, source: true, uids: new Set(uids) }, (m) => {
        const target = byUid.get(m.uid);
        if (target && m.source) target.digest = contentDigest(m.source);
      });
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
