// imapsync's --maxage, --minage and --maxsize, plus messages already marked \Deleted. The
// same filters apply to both sides, so a message outside the window is neither copied
// from host1 nor, with delete-on-destination, removed from host2.
import type { SkipReason } from './types';

export interface MessageFilters {
  maxAgeDays?: number;
  minAgeDays?: number;
  maxSizeBytes?: number;
  /** One clock reading for the whole run, so both sides use the same cut-off. */
  now: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** The oldest internal date in scope (for a server-side SEARCH SINCE that narrows the listing). */
export function oldestInScope(f: MessageFilters): number | undefined {
  return f.maxAgeDays === undefined ? undefined : f.now - f.maxAgeDays * DAY_MS;
}

export function skipReason(m: { internalDate: number; size: number; flags: readonly string[] }, f: MessageFilters): SkipReason | undefined {
  if (m.flags.includes('\\Deleted')) return 'marked-deleted';
  if (f.maxAgeDays !== undefined && m.internalDate < f.now - f.maxAgeDays * DAY_MS) return 'older-than-max-age';
  if (f.minAgeDays !== undefined && m.internalDate > f.now - f.minAgeDays * DAY_MS) return 'newer-than-min-age';
  if (f.maxSizeBytes !== undefined && m.size > f.maxSizeBytes) return 'larger-than-max-size';
  return undefined;
}
