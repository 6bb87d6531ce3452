// How long the final sync should take, from measured rounds only, and how users are told:
// in the words a person would use, with a deadline that leaves room for what follows it.
import type { RoundSummary } from './status';

const MIN = 60_000;
const HOUR = 60 * MIN;
const QUARTER = 15 * MIN;

/**
 * The last pre-sync's duration: the FAQ's final sync runs "exactly like the pre-syncs", on
 * what changed since the last one. Undefined before any pre-sync: nothing to go by.
 */
export function finalSyncEstimateMs(rounds: RoundSummary[]): number | undefined {
  return rounds.filter((r) => r.kind === 'presync').at(-1)?.durationMs;
}

/**
 * A duration as said after "about": under a minute and a half "a minute"; whole minutes
 * under 10; fives of minutes under the hour; half hours under 10 hours ("an hour and a
 * half", "2.5 hours"); whole hours under two days; then days. Each step rounds to nearest.
 */
export function spokenDuration(ms: number): string {
  const minutes = ms / MIN;
  if (minutes < 1.5) return 'a minute';
  if (minutes < 9.5) return `${Math.round(minutes)} minutes`;
  if (minutes < 52.5) return `${Math.round(minutes / 5) * 5} minutes`;
  const hours = ms / HOUR;
  if (hours < 9.75) {
    const halves = Math.round(hours * 2) / 2;
    if (halves === 1) return 'an hour';
    if (halves === 1.5) return 'an hour and a half';
    return `${halves} hours`;
  }
  if (hours < 47.5) return `${Math.round(hours)} hours`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * By when users told to stop should have heard from us again: the final sync, then the MX
 * switch's wait of the low TTL, and a margin (half the estimate, at least an hour) for the
 * approvers, the post-sync and a sync slower than the last. On the next quarter hour.
 */
export function cutoverDeadline(sentAtMs: number, estimateMs: number, lowTtlSeconds: number): number {
  const end = sentAtMs + estimateMs + lowTtlSeconds * 1000 + Math.max(HOUR, estimateMs / 2);
  return Math.ceil(end / QUARTER) * QUARTER;
}

/** `ms` as an ISO time in the UTC offset `reference` was written with: users read the zone the operator chose. */
export function inZoneOf(ms: number, reference: string): string {
  const zone = /(Z|[+-]\d{2}:\d{2})$/.exec(reference)?.[1] ?? 'Z';
  const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const local = new Date(ms + offsetMin * MIN).toISOString().replace(/\.\d{3}Z$/, '');
  return `${local}${zone}`;
}
