// Message identity and pairing without servers: what makes two messages "the same", and
// the multiset rules that keep distinct messages from being dropped or double-copied.
import type { MessageSummary } from '../../activities/imap/inventory';
import { messageIdentity } from '../../activities/imap/message-identity';
import { ambiguousKeys, matchMessages } from '../../activities/imap/message-plan';
import { skipReason } from '../../activities/imap/message-filters';
import { batchesByBytes, normaliseFlags } from '../../activities/imap/inventory';

const hdr = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'));

describe('messageIdentity', () => {
  it('is the same for a refolded copy and different when a header or the size differs', () => {
    const a = messageIdentity(hdr('Message-ID: <x@y>\nSubject: Hello\n  world\nReceived: from a\nReceived: from b\n\n'), 100);
    const refolded = messageIdentity(hdr('message-id:   <x@y>\nSubject: Hello world\nReceived: from a\nReceived: from b\n\n'), 100);
    expect(refolded.key).toBe(a.key);
    expect(a.messageId).toBe('<x@y>');
    expect(messageIdentity(hdr('Message-ID: <x@y>\nSubject: Hello world\nReceived: from a\n\n'), 100).key).not.toBe(a.key);
    expect(messageIdentity(hdr('Message-ID: <x@y>\nSubject: Hello world\nReceived: from a\nReceived: from b\n\n'), 101).key).not.toBe(a.key);
  });

  it('works without a Message-ID', () => {
    const a = messageIdentity(hdr('From: a@b\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: ALERT\n\n'), 50);
    const b = messageIdentity(hdr('From: a@b\nDate: Mon, 1 Jan 2024 10:00:01 +0000\nSubject: ALERT\n\n'), 50);
    expect(a.messageId).toBeUndefined();
    expect(a.key).not.toBe(b.key);
  });
});

let uid = 1;
function msg(key: string, extra: Partial<MessageSummary> = {}): MessageSummary {
  return { uid: uid++, size: 10, internalDate: 0, flags: [], key, origin: 0, ...extra };
}

describe('matchMessages', () => {
  it('pairs as a multiset: two with one key on host1, one on host2 → one to copy', () => {
    const plan = matchMessages([msg('k'), msg('k'), msg('j')], [msg('k')]);
    expect(plan.pairs).toHaveLength(1);
    expect(plan.toCopy.map((m) => m.key).sort()).toEqual(['j', 'k']);
    expect(plan.extra).toEqual([]);
  });

  it('digests split look-alikes: the right one pairs, the other is extra', () => {
    const src = [msg('k', { digest: 'B' })];
    const dst = [msg('k', { digest: 'A' }), msg('k', { digest: 'B' })];
    expect(
      ambiguousKeys(
        src.map((m) => ({ ...m, digest: undefined })),
        dst,
      ),
    ).toEqual(new Set(['k']));
    const plan = matchMessages(src, dst);
    expect(plan.pairs[0].destination.digest).toBe('B');
    expect(plan.extra.map((m) => m.digest)).toEqual(['A']);
  });

  it('lists pairs whose flags differ, host1 wins', () => {
    const plan = matchMessages(
      [msg('k', { flags: ['\\Seen'] }), msg('j', { flags: ['$Label1'] })],
      [msg('k', { flags: [] }), msg('j', { flags: ['$Label1'] })],
    );
    expect(plan.flagUpdates.map((p) => p.source.key)).toEqual(['k']);
  });
});

describe('flags, filters, batches', () => {
  it('normalises system flags and drops \\Recent', () => {
    expect(normaliseFlags(['\\seen', '\\Recent', 'Project-X', '$Label1'])).toEqual(['$Label1', 'Project-X', '\\Seen']);
  });

  it('keeps one frozen list per flag set, however many messages carry it', () => {
    const first = normaliseFlags(['\\Seen', '$Label7']);
    const again = normaliseFlags(['$Label7', '\\seen', '\\Recent']);
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(normaliseFlags(['\\Seen', '$Label8'])).not.toBe(first);
  });

  it('filters by age, size and \\Deleted', () => {
    const now = Date.UTC(2024, 5, 1);
    const f = { now, maxAgeDays: 10, minAgeDays: 1, maxSizeBytes: 100 };
    const day = 24 * 3600 * 1000;
    expect(skipReason({ internalDate: now - 2 * day, size: 50, flags: [] }, f)).toBeUndefined();
    expect(skipReason({ internalDate: now - 11 * day, size: 50, flags: [] }, f)).toBe('older-than-max-age');
    expect(skipReason({ internalDate: now - 3600_000, size: 50, flags: [] }, f)).toBe('newer-than-min-age');
    expect(skipReason({ internalDate: now - 2 * day, size: 101, flags: [] }, f)).toBe('larger-than-max-size');
    expect(skipReason({ internalDate: now - 2 * day, size: 50, flags: ['\\Deleted'] }, f)).toBe('marked-deleted');
  });

  it('bounds batches by count and bytes; a message larger than the bound goes alone', () => {
    const sizes = [10, 10, 10, 100, 10, 10, 10, 10];
    const batches = batchesByBytes(
      sizes.map((size) => ({ size })),
      30,
      3,
    );
    expect(batches.map((b) => b.map((x) => x.size))).toEqual([[10, 10, 10], [100], [10, 10, 10], [10]]);
  });
});
