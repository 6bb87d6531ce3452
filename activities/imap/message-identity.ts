// How a message is recognised on both servers, run after run. UIDs differ between servers
// (APPEND assigns new ones), so identity comes from the message itself: its size and a
// hash of the headers that tell messages apart (Message-ID, Date, From, To, Cc, Subject
// and every Received line). It works without a Message-ID, and since copies are byte-exact
// host2's copy has the same key. Keys are compared as a multiset, never as a set: two
// messages with the same key are two messages, and both are copied.
// When a key occurs more than once in a folder (a resent message, a tool that reuses a
// Message-ID, two alerts with identical headers) the key is not enough to pair them, so
// those messages are told apart by a digest of their full content (see message-plan.ts).
import { createHash } from 'node:crypto';

/** Header fields the identity hashes, in this order; fetched with BODY.PEEK[HEADER.FIELDS]. */
export const IDENTITY_HEADERS = ['message-id', 'date', 'from', 'to', 'cc', 'subject', 'received'] as const;

export interface MessageIdentity {
  /** `<size>.<hash>`: equal for a message and its byte-exact copy. */
  key: string;
  /** For reports only. */
  messageId?: string;
}

/**
 * Field name → values in order of appearance. Unfolded and whitespace-collapsed, so a
 * server that refolds long headers does not change the identity.
 */
export function parseHeaderFields(raw: Buffer | undefined): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  if (!raw) return fields;
  // latin1 maps bytes 1:1: 8-bit headers hash the same whatever their charset.
  const text = raw.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .replace(/\s+/g, ' ')
      .trim();
    const list = fields.get(name) ?? [];
    list.push(value);
    fields.set(name, list);
  }
  return fields;
}

export function messageIdentity(rawHeaders: Buffer | undefined, size: number): MessageIdentity {
  const fields = parseHeaderFields(rawHeaders);
  const hash = createHash('sha256');
  for (const name of IDENTITY_HEADERS) {
    for (const value of fields.get(name) ?? []) hash.update(`${name}:${value}\n`);
  }
  const messageId = fields.get('message-id')?.[0];
  return {
    key: `${size}.${hash.digest('base64url').slice(0, 22)}`,
    messageId: messageId ? Buffer.from(messageId, 'latin1').toString('utf8').slice(0, 200) : undefined,
  };
}

/** Digest of a whole message, to tell apart messages that share a key. */
export function contentDigest(source: Buffer): string {
  return createHash('sha256').update(source).digest('base64url').slice(0, 22);
}
