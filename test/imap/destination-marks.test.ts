// Which host2 messages are users' own (destination-marks.ts), without servers: the mark a
// run leaves, the kept ranges that make a kept message stay kept, and which marks of a
// previous state are trusted.
import { MAX_KEPT_RANGES, carriedMarks, nextMark, normaliseRanges, ownMail, splitExtras, usableMarks } from '../../activities/imap/destination-marks';
import type { DestinationMark, FolderSyncState, MailboxSnapshot, SyncState } from '../../activities/imap/types';

const V = '7';
const mark = (over: Partial<DestinationMark> = {}): DestinationMark => ({ destination: 'INBOX', uidValidity: V, uidNext: 11, ...over });
const at = (uidNext: number, uidValidity = V) => ({ uidValidity, uidNext });

describe('ownMail', () => {
  it('is every UID at or above the mark, or in a kept range, under the same UIDVALIDITY only', () => {
    const own = ownMail(mark({ kept: [[3, 5]] }), V);
    expect([1, 2, 3, 4, 5, 10, 11, 500].filter(own)).toEqual([3, 4, 11, 500]);
    expect([3, 11, 500].filter(ownMail(mark({ kept: [[3, 5]] }), '8'))).toEqual([]);
    expect([1, 11].filter(ownMail(undefined, V))).toEqual([]);
  });

  it("splits extras into the users' own and stale copies; without a listing, none is own", () => {
    const extra = [{ uid: 4 }, { uid: 10 }, { uid: 12 }];
    expect(splitExtras(extra, mark({ kept: [[4, 5]] }), V)).toEqual({ own: [{ uid: 4 }, { uid: 12 }], stale: [{ uid: 10 }] });
    expect(splitExtras(extra, mark(), undefined)).toEqual({ own: [], stale: extra });
  });
});

describe('nextMark', () => {
  it("moves above the run's own copies when UIDNEXT moved by exactly what it copied", () => {
    expect(nextMark(mark(), 'INBOX', at(11), at(14), 3)).toEqual(mark({ uidNext: 14 }));
    // Nothing copied: UIDNEXT as listed, whatever arrived since.
    expect(nextMark(mark(), 'INBOX', at(11), undefined, 0)).toEqual(mark({ uidNext: 11 }));
  });

  it('stays at the listed UIDNEXT when someone else appended while the run copied (its copies count as theirs)', () => {
    expect(nextMark(mark(), 'INBOX', at(11), at(15), 3)).toEqual(mark({ uidNext: 11 }));
    expect(nextMark(mark(), 'INBOX', at(11), undefined, 3)).toEqual(mark({ uidNext: 11 }));
    expect(nextMark(mark(), 'INBOX', at(11), at(14, '8'), 3)).toEqual(mark({ uidNext: 11 }));
  });

  it('records what arrived from someone else since the previous mark as a kept range, and keeps the earlier ones', () => {
    // UIDs 11-12 arrived on host2 between the runs; the run copied 13-14.
    const second = nextMark(mark(), 'INBOX', at(13), at(15), 2);
    expect(second).toEqual(mark({ uidNext: 15, kept: [[11, 13]] }));
    // Kept on the next run (below the mark, in the range); the copies 13-14 are not.
    expect([11, 12, 13, 14, 15].filter(ownMail(second, V))).toEqual([11, 12, 15]);
    // And on every later one.
    const third = nextMark(second, 'INBOX', at(16), at(16), 0);
    expect(third).toEqual(
      mark({
        uidNext: 16,
        kept: [
          [11, 13],
          [15, 16],
        ],
      }),
    );
    expect(nextMark(third, 'INBOX', at(16), undefined, 0)).toEqual(third);
  });

  it('starts afresh without a previous mark or under a new UIDVALIDITY', () => {
    expect(nextMark(undefined, 'INBOX', at(30), at(32), 2)).toEqual(mark({ uidNext: 32 }));
    expect(nextMark(mark({ kept: [[3, 5]] }), 'INBOX', at(30, '9'), at(32, '9'), 2)).toEqual(mark({ uidValidity: '9', uidNext: 32 }));
  });
});

describe('normaliseRanges', () => {
  it('sorts and merges overlapping and touching ranges', () => {
    expect(
      normaliseRanges([
        [20, 25],
        [1, 3],
        [3, 4],
        [22, 30],
        [10, 11],
      ]),
    ).toEqual([
      [1, 4],
      [10, 11],
      [20, 30],
    ]);
  });

  it('beyond the limit merges the closest ranges: it keeps more, never less', () => {
    const many: [number, number][] = Array.from({ length: MAX_KEPT_RANGES + 3 }, (_, i) => [i * 10, i * 10 + 1]);
    many[5] = [50, 58]; // 58-60: the smallest gap
    const out = normaliseRanges(many);
    expect(out).toHaveLength(MAX_KEPT_RANGES);
    expect(out).toContainEqual([50, 61]);
    for (const [from, to] of many) expect(out.some(([a, b]) => a <= from && to <= b)).toBe(true);
  });
});

describe('usableMarks', () => {
  const snap = (over: Partial<MailboxSnapshot> = {}): MailboxSnapshot => ({ uidValidity: V, uidNext: 40, highestModseq: '9', messages: 39, ...over });
  const folderState = (destination: string, destinationAt = snap()): FolderSyncState => ({
    destination,
    destinationAt,
    sources: [{ path: destination, at: snap() }],
    scope: 's',
    messages: 39,
  });
  const state = (over: Partial<SyncState> = {}): SyncState => ({ version: 1, pair: 'p', takenAt: '2024-01-01T00:00:00.000Z', folders: [], ...over });

  it('takes the marks of states of this pair, later states winning, malformed ones ignored', () => {
    const request = state({ destinationMarks: [mark({ uidNext: 5 }), mark({ destination: 'Sent', uidNext: 9 })] });
    const checkpoint = state({ destinationMarks: [mark({ uidNext: 8, kept: [[5, 6]] }), { ...mark({ destination: 'Bad' }), kept: [[6, 5]] }] });
    const other = state({ pair: 'q', destinationMarks: [mark({ destination: 'Junk' })] });
    const got = usableMarks('p', request, other, checkpoint, undefined);
    expect([...got.values()]).toEqual([mark({ uidNext: 8, kept: [[5, 6]] }), mark({ destination: 'Sent', uidNext: 9 })]);
    const broken = [{ ...mark(), uidNext: 0 }, { ...mark(), uidValidity: 'x' }, { ...mark(), kept: 'all' }, null];
    expect(usableMarks('p', state({ destinationMarks: broken as unknown as DestinationMark[] })).size).toBe(0);
  });

  it("a state from before marks existed gives its in-step folders' host2 UIDNEXT; a mark overrides it", () => {
    const old = state({ folders: [folderState('INBOX'), folderState('Sent', snap({ uidNext: 12 }))] });
    expect(usableMarks('p', old).get('Sent')).toEqual(mark({ destination: 'Sent', uidNext: 12 }));
    const both = state({ folders: [folderState('INBOX')], destinationMarks: [mark({ uidNext: 41, kept: [[39, 40]] })] });
    expect(usableMarks('p', both).get('INBOX')).toEqual(mark({ uidNext: 41, kept: [[39, 40]] }));
  });

  it('a run passes every earlier mark on, updated by its own', () => {
    const previous = new Map([mark(), mark({ destination: 'Old' })].map((m) => [m.destination, m]));
    expect(carriedMarks(previous, [undefined, mark({ uidNext: 20 }), mark({ destination: 'New' })])).toEqual([
      mark({ uidNext: 20 }),
      mark({ destination: 'Old' }),
      mark({ destination: 'New' }),
    ]);
  });
});
