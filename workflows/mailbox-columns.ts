// Each mailbox's state as a continue-as-new carries it: a column per field over the roster's
// order, run-length encoded. Thousands of mailboxes mostly share their values (synced in the
// same round, not cut yet, given host2 together), so 100,000 of them fit the payload budget
// where a map by user would take tens of megabytes. When they still do not fit, what is only
// shown gives way first (the last round's figures of mailboxes that did not fail, then the
// size audit of those that fit): never what a phase rule decides by. Bytes copied today
// (a daily budget) differ from mailbox to mailbox: they travel as whole MiB, rounded up,
// in a plain column, and give way last (the provider's own limit then throttles the sync).
import type { DayBytes } from './byte-budget';
import type { FinalSyncOutcome } from './phase-rules';
import type { RosterEntry } from './mailbox-pages';
import { jsonBytes } from './payload-budget';
import type { MailboxState } from './status';
import { isFailing } from './wave-totals';

/** A column: runs of one value, [how many mailboxes, value]; null where a mailbox has none. */
export type Column = [number, unknown][];

/** The runbook's per-mailbox state, by column. */
export interface MailboxColumns {
  /** MailboxState's fields (but `wave`: the roster has it; `last` without its `mailbox`: the key). */
  state: Record<string, Column>;
  /** Access to host1 cut (sync-rounds.ts cutAccess). */
  cut: Column;
  /** The final sync's verification, once one ran: messages missing, or why it failed. */
  finalMissing?: Column;
  finalFailed?: Column;
  /** MailboxState.bytesToday: its day (runs), and its bytes in MiB rounded up (0: none). */
  bytesDay?: Column;
  bytesMiB?: number[];
  /** What gave way to fit the budget, if anything. */
  dropped?: string[];
}

/** What the columns may take of a continue-as-new's payload. */
export const MAILBOX_COLUMNS_BUDGET_BYTES = 800_000;

export interface RunbookMailboxes {
  mailboxes: Record<string, MailboxState>;
  accessCut: string[];
  finalSync: FinalSyncOutcome | undefined;
}

/** Runs of equal values (by their JSON; a `last` round without its mailbox, which is the key). */
function encode(roster: RosterEntry[], valueOf: (user: string) => unknown): Column {
  return runsOf(roster.map(({ user }) => valueOf(user)));
}

/** Values as runs of equal ones (an object compared by its JSON; a `mailbox` in it left out: the key says it). */
export function runsOf(values: unknown[]): Column {
  const runs: Column = [];
  let previous: string | undefined;
  for (let v of values) {
    if (v && typeof v === 'object' && 'mailbox' in v) v = { ...v, mailbox: '' };
    const key = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : `${typeof v}:${String(v)}`;
    if (runs.length && key === previous) {
      runs[runs.length - 1][0]++;
      continue;
    }
    runs.push([1, v ?? null]);
    previous = key;
  }
  return runs;
}

// Each value in one place: a value shared by a run of mailboxes is the same object for each
// of them (the runbook replaces a mailbox's values, never changes one in place).
export function decode(column: Column): unknown[] {
  const values: unknown[] = [];
  for (const [n, v] of column) for (let i = 0; i < n; i++) values.push(v === null ? undefined : v);
  return values;
}

/** What gives way, in order, when the columns do not fit: each a field, and which mailboxes keep it. */
const DROPS: { name: string; field: keyof MailboxState; keeps: (m: MailboxState) => boolean }[] = [
  { name: 'last round of mailboxes that did not fail', field: 'last', keeps: isFailing },
  { name: 'size audit of mailboxes that fit', field: 'size', keeps: (m) => !!m.size?.doesNotFit },
  { name: 'throttle reasons', field: 'throttleReason', keeps: () => false },
  { name: 'back-fill counts', field: 'backfilled', keeps: () => false },
  { name: 'throttle times', field: 'throttledUntil', keeps: () => false },
];
const BYTES_DROPPED = 'bytes copied today';

const MIB = 1024 * 1024;

/** Bytes copied today as a day column and a column of whole MiB (more than used: a budget never overspends). */
function bytesColumns(roster: RosterEntry[], mailboxes: Record<string, MailboxState>): Pick<MailboxColumns, 'bytesDay' | 'bytesMiB'> {
  if (!roster.some(({ user }) => mailboxes[user].bytesToday)) return {};
  return {
    bytesDay: encode(roster, (user) => mailboxes[user].bytesToday?.day),
    bytesMiB: roster.map(({ user }) => Math.ceil((mailboxes[user].bytesToday?.bytes ?? 0) / MIB)),
  };
}

export function toColumns(roster: RosterEntry[], r: RunbookMailboxes): MailboxColumns {
  const fields = new Set<string>();
  for (const { user } of roster) for (const f in r.mailboxes[user]) if (f !== 'wave' && f !== 'bytesToday') fields.add(f);
  const field = (f: string) => (user: string) => (r.mailboxes[user] as unknown as Record<string, unknown>)[f];
  const state = Object.fromEntries([...fields].map((f) => [f, encode(roster, field(f))]));
  const cut = new Set(r.accessCut);
  const out: MailboxColumns = {
    state,
    cut: encode(roster, (user) => cut.has(user) || undefined),
    ...(r.finalSync && {
      finalMissing: encode(roster, (user) => r.finalSync!.missing[user]),
      finalFailed: encode(roster, (user) => r.finalSync!.failed[user]),
    }),
    ...bytesColumns(roster, r.mailboxes),
  };
  const dropped: string[] = [];
  for (const drop of DROPS) {
    if (jsonBytes(out) <= MAILBOX_COLUMNS_BUDGET_BYTES) break;
    if (!state[drop.field]) continue;
    state[drop.field] = encode(roster, (user) => (drop.keeps(r.mailboxes[user]) ? r.mailboxes[user][drop.field] : undefined));
    dropped.push(drop.name);
  }
  if (out.bytesMiB && jsonBytes(out) > MAILBOX_COLUMNS_BUDGET_BYTES) {
    delete out.bytesDay;
    delete out.bytesMiB;
    dropped.push(BYTES_DROPPED);
  }
  return dropped.length ? { ...out, dropped } : out;
}

export function fromColumns(roster: RosterEntry[], c: MailboxColumns): RunbookMailboxes {
  const fields = Object.entries(c.state).map(([f, col]) => [f, decode(col)] as const);
  const cut = decode(c.cut);
  const missing = c.finalMissing ? decode(c.finalMissing) : [];
  const failed = c.finalFailed ? decode(c.finalFailed) : [];
  const bytesDay = c.bytesDay ? decode(c.bytesDay) : [];
  const out: RunbookMailboxes = { mailboxes: {}, accessCut: [], finalSync: c.finalMissing && { missing: {}, failed: {} } };
  roster.forEach(({ user, wave }, i) => {
    const m: Record<string, unknown> = { wave };
    for (const [f, values] of fields) if (values[i] !== undefined) m[f] = f === 'last' ? { ...(values[i] as object), mailbox: user } : values[i];
    if (bytesDay[i] !== undefined) m.bytesToday = { day: bytesDay[i] as string, bytes: c.bytesMiB![i] * MIB } satisfies DayBytes;
    out.mailboxes[user] = m as unknown as MailboxState;
    if (cut[i]) out.accessCut.push(user);
    if (missing[i] !== undefined) out.finalSync!.missing[user] = missing[i] as number;
    if (failed[i] !== undefined) out.finalSync!.failed[user] = failed[i] as string;
  });
  return out;
}
