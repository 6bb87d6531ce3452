// Each mailbox's state as a continue-as-new carries it: a column per field over the roster's
// order, run-length encoded. Thousands of mailboxes mostly share their values (synced in the
// same round, not cut yet, given host2 together), so 100,000 of them fit the payload budget
// where a map by user would take tens of megabytes. When they still do not fit, what is only
// shown gives way first (the last round's figures of mailboxes that did not fail, then the
// size audit of those that fit): never what a phase rule decides by.
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

function encode(values: unknown[]): Column {
  const runs: Column = [];
  let last = '';
  for (const v of values) {
    const key = JSON.stringify(v ?? null);
    if (runs.length && key === last) runs[runs.length - 1][0]++;
    else runs.push([1, v ?? null]);
    last = key;
  }
  return runs;
}

function decode(column: Column): unknown[] {
  return column.flatMap(([n, v]) => Array.from({ length: n }, () => (v === null ? undefined : structuredCloneOf(v))));
}

// Each mailbox gets its own copy of an object value (the runbook changes them in place).
const structuredCloneOf = (v: unknown): unknown => (typeof v === 'object' ? JSON.parse(JSON.stringify(v)) : v);

type Drop = { name: string; keep: (m: MailboxState) => MailboxState };

/** What gives way, in order, when the columns do not fit. */
const DROPS: Drop[] = [
  { name: 'last round of mailboxes that did not fail', keep: (m) => (isFailing(m) ? m : { ...m, last: undefined }) },
  { name: 'size audit of mailboxes that fit', keep: (m) => (m.size?.doesNotFit ? m : { ...m, size: undefined }) },
  { name: 'throttle reasons', keep: (m) => ({ ...m, throttleReason: undefined }) },
];

export function toColumns(roster: RosterEntry[], r: RunbookMailboxes): MailboxColumns {
  const cut = new Set(r.accessCut);
  const columns = (keep: (m: MailboxState) => MailboxState): Record<string, Column> => {
    const states = roster.map(({ user }) => {
      const state: Partial<MailboxState> = { ...keep(r.mailboxes[user]) };
      delete state.wave;
      // The last round without its mailbox: alike mailboxes then share one run.
      if (state.last) state.last = { ...state.last, mailbox: '' };
      return state;
    });
    const fields = [...new Set(states.flatMap((s) => Object.keys(s)))];
    return Object.fromEntries(fields.map((f) => [f, encode(states.map((s) => (s as Record<string, unknown>)[f]))]));
  };
  const out: MailboxColumns = {
    state: columns((m) => m),
    cut: encode(roster.map(({ user }) => cut.has(user) || undefined)),
    ...(r.finalSync && {
      finalMissing: encode(roster.map(({ user }) => r.finalSync!.missing[user])),
      finalFailed: encode(roster.map(({ user }) => r.finalSync!.failed[user])),
    }),
  };
  const dropped: string[] = [];
  let keep = (m: MailboxState) => m;
  for (const drop of DROPS) {
    if (jsonBytes(out) <= MAILBOX_COLUMNS_BUDGET_BYTES) break;
    const before = keep;
    keep = (m) => drop.keep(before(m));
    dropped.push(drop.name);
    out.state = columns(keep);
  }
  return dropped.length ? { ...out, dropped } : out;
}

export function fromColumns(roster: RosterEntry[], c: MailboxColumns): RunbookMailboxes {
  const fields = Object.fromEntries(Object.entries(c.state).map(([f, col]) => [f, decode(col)]));
  const cut = decode(c.cut);
  const missing = c.finalMissing ? decode(c.finalMissing) : [];
  const failed = c.finalFailed ? decode(c.finalFailed) : [];
  const out: RunbookMailboxes = { mailboxes: {}, accessCut: [], finalSync: c.finalMissing && { missing: {}, failed: {} } };
  roster.forEach(({ user, wave }, i) => {
    const m: Record<string, unknown> = { wave };
    for (const [f, values] of Object.entries(fields)) if (values[i] !== undefined) m[f] = values[i];
    if (m.last) m.last = { ...(m.last as object), mailbox: user };
    out.mailboxes[user] = m as unknown as MailboxState;
    if (cut[i]) out.accessCut.push(user);
    if (missing[i] !== undefined) out.finalSync!.missing[user] = missing[i] as number;
    if (failed[i] !== undefined) out.finalSync!.failed[user] = failed[i] as string;
  });
  return out;
}
