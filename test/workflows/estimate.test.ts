// How long users are told the final sync takes, and by when they should hear from us:
// from measured rounds only, in words a person would use.
import { cutoverDeadline, finalSyncEstimateMs, inZoneOf, spokenDuration } from '../../workflows/estimate';
import type { RoundSummary } from '../../workflows/status';

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;

describe('spokenDuration', () => {
  it.each([
    [0, 'a minute'],
    [3 * S, 'a minute'],
    [89 * S, 'a minute'],
    [90 * S, '2 minutes'],
    [9 * MIN + 29 * S, '9 minutes'],
    [9 * MIN + 30 * S, '10 minutes'],
    [12 * MIN, '10 minutes'],
    [13 * MIN, '15 minutes'],
    [18 * MIN, '20 minutes'],
    [52 * MIN, '50 minutes'],
    [53 * MIN, 'an hour'],
    [74 * MIN, 'an hour'],
    [75 * MIN, 'an hour and a half'],
    [100 * MIN, 'an hour and a half'],
    [105 * MIN, '2 hours'],
    [2 * HOUR + 20 * MIN, '2.5 hours'],
    [9 * HOUR + 40 * MIN, '9.5 hours'],
    [9 * HOUR + 45 * MIN, '10 hours'],
    [13 * HOUR + 29 * MIN, '13 hours'],
    [47 * HOUR + 29 * MIN, '47 hours'],
    [47 * HOUR + 30 * MIN, '2 days'],
    [80 * HOUR, '3 days'],
  ])('%d ms is "about %s"', (ms, words) => {
    expect(spokenDuration(ms)).toBe(words);
  });

  it('never goes down as the duration grows', () => {
    const order = (w: string) => {
      const n = /^\d+(\.\d+)?/.exec(w)?.[0];
      const unit = /minute/.test(w) ? MIN : /hour/.test(w) ? HOUR : 24 * HOUR;
      return (n ? Number(n) : /half/.test(w) ? 1.5 : 1) * unit;
    };
    let last = 0;
    for (let ms = 0; ms < 72 * HOUR; ms += 17 * S) {
      const now = order(spokenDuration(ms));
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });
});

describe('finalSyncEstimateMs', () => {
  const round = (kind: RoundSummary['kind'], durationMs: number): RoundSummary => ({
    kind,
    durationMs,
    startedAt: '',
    mailboxes: 3,
    failed: [],
    copied: 0,
    deleted: 0,
  });

  it("is the last pre-sync's duration, even a very short one", () => {
    expect(finalSyncEstimateMs([round('verify', 5), round('presync', 40 * MIN), round('presync', 0)])).toBe(0);
    expect(finalSyncEstimateMs([round('presync', 40 * MIN), round('presync', 7 * MIN), round('final', HOUR)])).toBe(7 * MIN);
  });

  it('is unknown before any pre-sync', () => {
    expect(finalSyncEstimateMs([round('verify', 5 * S)])).toBeUndefined();
  });
});

describe('cutoverDeadline', () => {
  const sent = Date.parse('2026-12-05T22:03:10Z');

  it('leaves the final sync, the low TTL and a margin of at least an hour, on a quarter hour', () => {
    expect(new Date(cutoverDeadline(sent, 3 * S, 300)).toISOString()).toBe('2026-12-05T23:15:00.000Z');
    // A long final sync: half its time again as margin.
    expect(new Date(cutoverDeadline(sent, 4 * HOUR, 300)).toISOString()).toBe('2026-12-06T04:15:00.000Z');
  });

  it('is always later than the send time by the estimate and an hour', () => {
    for (const estimate of [0, S, 59 * MIN, 3 * HOUR]) expect(cutoverDeadline(sent, estimate, 60) - sent).toBeGreaterThanOrEqual(estimate + HOUR);
  });
});

describe('inZoneOf', () => {
  it("writes a time in the zone of the operator's migration hour", () => {
    const at = Date.parse('2026-12-05T23:15:00Z');
    expect(inZoneOf(at, '2026-12-05T22:00:00+01:00')).toBe('2026-12-06T00:15:00+01:00');
    expect(inZoneOf(at, '2026-12-05T16:00:00-05:30')).toBe('2026-12-05T17:45:00-05:30');
    expect(inZoneOf(at, '2026-12-05T21:00:00Z')).toBe('2026-12-05T23:15:00Z');
  });
});
