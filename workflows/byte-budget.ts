// A per-account daily byte budget (Gmail: 2,500 MB read and 500 MB written over IMAP a
// day). Each mailbox's sync reads one account on its source and writes one on its
// destination, so its budget for the day is the smaller of the two. A round hands a sync
// what is left of it (SyncRequest.maxBytes); the sync stops there with what it finished
// kept, and the mailbox waits for the next UTC day on a durable timer. What a mailbox used
// today is kept per mailbox, compact, only when a budget applies.
import { PROVIDER_PRESETS } from './provider-presets';
import type { RoundKind } from './round-outcome';
import type { ImapServer, Mailbox, MigrationSpec } from './spec';

const DAY = 24 * 3_600_000;

/** Message bytes a mailbox's syncs copied on one UTC day. */
export interface DayBytes {
  /** YYYY-MM-DD, UTC. */
  day: string;
  bytes: number;
}

const download = (s: ImapServer) => s.downloadBytesPerDay ?? PROVIDER_PRESETS[s.provider].limits.downloadBytesPerDay;
const upload = (s: ImapServer) => s.uploadBytesPerDay ?? PROVIDER_PRESETS[s.provider].limits.uploadBytesPerDay;

/** The bytes a day this mailbox's syncs of `kind` may copy; undefined: no budget. Verification copies nothing. */
export function dailyBudget(spec: MigrationSpec, m: Mailbox, kind: RoundKind): number | undefined {
  if (kind === 'verify') return undefined;
  const host2 = m.destination.server ?? spec.host2;
  // A rollback's reverse sync reads host2 and writes host1.
  const [from, to] = kind === 'reverse' ? [host2, spec.host1] : [spec.host1, host2];
  const limits = [download(from), upload(to)].filter((b): b is number => b !== undefined);
  return limits.length ? Math.min(...limits) : undefined;
}

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** When the next UTC day starts (epoch ms). */
export const nextDayStart = (ms: number) => Math.floor(ms / DAY) * DAY + DAY;

/** What `used` says was copied today (nothing when it is of another day). */
export const usedToday = (used: DayBytes | undefined, now: number) => (used?.day === utcDay(now) ? used.bytes : 0);

/** `used` with `bytes` more copied today. */
export const addBytes = (used: DayBytes | undefined, now: number, bytes: number): DayBytes => ({ day: utcDay(now), bytes: usedToday(used, now) + bytes });
