// One round over every mailbox (a pre-sync, the final sync, a post-sync, a verification)
// as a child workflow: mailboxes run as activities in a sliding window capped by the
// spec's concurrency, one mailbox's failure never stops the others, and the round
// continues-as-new before its history grows large (thousands of mailboxes). It holds the
// connection caps (connection-caps.ts) and the daily byte budgets (byte-budget.ts).
import { ActivityFailure, continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { SyncState } from '../activities/imap/types';
import { addBytes, dailyBudget, nextDayStart, usedToday, type DayBytes } from './byte-budget';
import { formatBytes } from './bytes';
import { ConnectionCaps } from './connection-caps';
import { jsonBytes, PAYLOAD_BUDGET_BYTES, stateEntryBytes } from './payload-budget';
import { mailboxesOf } from './mailbox-pages';
import { deletePermissions } from './phase-rules';
import { syncRequest } from './requests';
import { compactSize, type MailboxOutcome, type RoundKind } from './round-outcome';
import { packOutcomes, type PackedOutcomes } from './round-result';
import { ThrottleNotices } from './throttle-notices';
import { MAX_THROTTLE_WAITS, throttleIn, type Deferred, type Throttle } from './throttled-mailboxes';
import type { MigrationSpec } from './spec';

export type { MailboxOutcome, MailboxSize, RoundKind } from './round-outcome';

export interface RoundInput {
  spec: MigrationSpec;
  kind: RoundKind;
  /** Source users of the mailboxes in this round, in order. */
  mailboxes: string[];
  usersOnHost2: string[];
  /** Mailboxes whose host2 holds users' own mail: never deleted on. */
  ownMailOnHost2?: string[];
  /** Mailboxes no sync has completed for yet: never deleted on (phase-rules.ts). */
  firstSync?: string[];
  mxOnHost2: boolean;
  /** Post-syncs and reverse syncs: each mailbox's window, in days (imapsync --maxage). */
  maxAgeDays?: Record<string, number>;
  /** Each mailbox's state from its last sync: incremental re-syncs. */
  previousStates?: Record<string, SyncState>;
  /** Carried across continue-as-new. */
  done?: MailboxOutcome[];
  /** Carried across continue-as-new: mailboxes waiting out a server's throttle (throttle.ts) or the next day's byte budget. */
  deferred?: Deferred[];
  /** At most this many bytes of new sync states in the result (a round of many pages shares the runbook's budget). */
  stateBudgetBytes?: number;
  /** Message bytes each mailbox's syncs copied today, for those with a daily byte budget (byte-budget.ts). */
  bytesToday?: Record<string, DayBytes>;
}

// A worker that dies (crash, SIGKILL, lost machine) stops heartbeating: after the heartbeat
// timeout and the retry's initial interval another worker takes the mailbox over, 12-17 s
// after the death (plus the server's timer latency: 16.7-17.1 s measured). The activities heartbeat every 2 s even inside one long IMAP command
// (activities/keepalive.ts) and the worker passes one on to the server at least every 5 s
// (workers/main.ts), so 15 s of silence means a dead worker, not a slow moment. The short
// initial interval is for that takeover: a failure the activity raises (a server that
// refused or went away) sets its own wait, 30 s then doubling (activities/imap/errors.ts).
const { syncMailbox, verifyMailbox } = proxyActivities<typeof activities>({
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', backoffCoefficient: 2 },
});

/** Above this many events (or this size) the round hands over to a fresh run of itself. */
const HISTORY_BUDGET = 8_000;
const HISTORY_BYTES_BUDGET = 3 * 1024 * 1024;

/** The server also suggests it (4,096 events or 4 MB by default); every request is in history. */
const historyRoomLeft = () => {
  const info = workflowInfo();
  return info.historyLength < HISTORY_BUDGET && info.historySize < HISTORY_BYTES_BUDGET && !info.continueAsNewSuggested;
};

/** mailboxRound as the runbook runs its pages: the outcomes packed by column (round-result.ts); a continued run stays one of these. */
export async function mailboxRoundPage(input: RoundInput): Promise<PackedOutcomes> {
  return packOutcomes(await mailboxRound(input));
}

export async function mailboxRound(input: RoundInput): Promise<MailboxOutcome[]> {
  const { spec, kind } = input;
  const done = [...(input.done ?? [])];
  const pending = input.mailboxes.slice(done.length);
  const byUser = new Map((await mailboxesOf(spec, pending)).map((m) => [m.source.user, m]));
  // The result, and a continue-as-new with what is left of the input, must stay within the
  // payload budget: a mailbox's new sync state is kept only while it fits (without one,
  // its next sync compares in full). What is left of the input shrinks as mailboxes finish.
  // (Each entry with its comma.)
  const inputBytesOf = new Map(pending.map((u) => [u, jsonBytes(byUser.get(u)) + 1 + stateEntryBytes(u, input.previousStates?.[u])]));
  let inputLeft = [...inputBytesOf.values()].reduce((a, b) => a + b, 0);
  const fixedBytes = jsonBytes({ ...input, spec: { ...spec, mailboxes: [] }, previousStates: {}, done: [] });
  let outcomeBytes = jsonBytes(done);
  let stateBytes = done.reduce((n, o) => n + (o.state ? jsonBytes(o.state) : 0), 0);
  const stateBudget = input.stateBudgetBytes ?? PAYLOAD_BUDGET_BYTES;
  const account = ({ outcome, state }: { outcome: MailboxOutcome; state?: SyncState }): MailboxOutcome => {
    inputLeft -= inputBytesOf.get(outcome.mailbox) ?? 0;
    const size = state ? jsonBytes(state) : 0;
    if (state && stateBytes + size <= stateBudget && fixedBytes + inputLeft + outcomeBytes + jsonBytes({ ...outcome, state }) + 1 <= PAYLOAD_BUDGET_BYTES) {
      outcome.state = state;
      stateBytes += size;
    }
    outcomeBytes += jsonBytes(outcome) + 1;
    return outcome;
  };

  // A mailbox stopped at its byte budget goes on from the state it reached.
  const states: Record<string, SyncState> = { ...input.previousStates };
  const used: Record<string, DayBytes> = { ...input.bytesToday };
  const noDeletes = { deleteOnDestination: false, deleteOnSource: false };
  const runOne = async (user: string): Promise<Ran> => {
    const mailbox = byUser.get(user)!;
    const failed = (err: unknown, copied = 0, what = ''): Ran => {
      // "Activity task failed" says nothing: the activity's own failure names the side and mailbox.
      const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
      return { outcome: { mailbox: user, ok: false, copied, deleted: 0, missing: 0, error: what + reason }, throttle: throttleIn(err) };
    };
    if (kind === 'verify') {
      try {
        const v = await verifyMailbox(syncRequest(spec, mailbox, 'final', noDeletes));
        // Messages not yet on host2 are no failure here (preflight); what host2 has alone is users' own.
        // The size audit (absent from workers before it) says whether host1's mail fits on host2.
        return {
          outcome: { mailbox: user, ok: true, copied: 0, deleted: 0, missing: v.missing, extra: v.extra, ...(v.size && { size: compactSize(v.size) }) },
        };
      } catch (err) {
        return failed(err);
      }
    }
    const previous = kind === 'reverse' ? undefined : states[user];
    const phase = {
      usersOnHost2: input.usersOnHost2.includes(user),
      ownMailOnHost2: !!input.ownMailOnHost2?.includes(user),
      firstSync: !!input.firstSync?.includes(user),
      withoutMarks: !previous,
    };
    const permissions = deletePermissions(kind, phase, { mxOnHost2: input.mxOnHost2 });
    const budget = dailyBudget(spec, mailbox, kind);
    const left = budget === undefined ? undefined : budget - usedToday(used[user], Date.now());
    if (left !== undefined && left <= 0) return { outcome: { mailbox: user, ok: true, copied: 0, deleted: 0, missing: 0 }, budgetReached: budget };
    let r;
    try {
      const req = syncRequest(spec, mailbox, kind, permissions, input.maxAgeDays?.[user]);
      r = await syncMailbox({ ...req, ...(previous && { previous }), ...(left !== undefined && { maxBytes: left }) });
    } catch (err) {
      return failed(err);
    }
    if (budget !== undefined) used[user] = addBytes(used[user], Date.now(), r.byteBudget?.spent ?? r.totals.bytesCopied);
    const outcome: MailboxOutcome = {
      mailbox: user,
      ok: true,
      copied: r.totals.copied,
      deleted: r.totals.deletedOnDestination + r.totals.deletedOnSource,
      missing: 0,
    };
    if (r.totals.extraOnDestination) outcome.extra = r.totals.extraOnDestination;
    if (r.totals.keptOnDestination) outcome.kept = r.totals.keptOnDestination;
    if (r.byteBudget?.reached) {
      // Nothing fits in a whole day's budget: the next message is larger than it, waiting cannot help.
      if (!r.byteBudget.spent && left === budget) return failed(new Error(`a message is larger than the daily byte budget (${formatBytes(budget!)})`));
      return { outcome, state: r.state, budgetReached: budget };
    }
    if (kind === 'final') {
      // Judged as of the sync's start: mail still arriving on host1 (the MX has not moved) is the post-sync's.
      try {
        outcome.missing = (await verifyMailbox({ ...syncRequest(spec, mailbox, 'final', noDeletes), asOf: r.sourceMarks })).missing;
      } catch (err) {
        return { ...failed(err, outcome.copied, 'verification failed: '), state: r.state };
      }
    }
    return { outcome, state: r.state };
  };

  // Sliding window: as soon as one mailbox finishes, the next one starts. A mailbox the
  // server throttled waits out what it asked on a durable timer, the others going on meanwhile.
  const results: MailboxOutcome[] = [];
  const deferred: Deferred[] = [...(input.deferred ?? [])];
  const waiting = new Set(deferred.map((d) => d.mailbox));
  const queue = pending.filter((u) => !waiting.has(u));
  let next = 0;
  const nextDue = (): Deferred | undefined => {
    if (!deferred.length) return undefined;
    const i = deferred.reduce((best, d, j) => (d.due < deferred[best].due ? j : best), 0);
    return deferred.splice(i, 1)[0];
  };
  const caps = new ConnectionCaps(spec);
  const notices = new ThrottleNotices();
  const lane = async () => {
    while (historyRoomLeft()) {
      let user: string;
      let waits = 0;
      let copiedBefore = 0;
      if (next < queue.length) user = queue[next++];
      else {
        const d = nextDue();
        if (!d) return;
        if (d.due > Date.now()) await sleep(d.due - Date.now());
        ({ mailbox: user, waits, copied: copiedBefore = 0 } = d);
      }
      const release = await caps.acquire(byUser.get(user)!);
      let ran: Ran;
      try {
        ran = await runOne(user);
      } finally {
        release();
      }
      ran.outcome.copied += copiedBefore;
      const carried = ran.outcome.copied ? { copied: ran.outcome.copied } : {};
      if (ran.budgetReached !== undefined) {
        // Not a server's throttle: it waits for tomorrow's budget, however many days that takes.
        if (ran.state) states[user] = ran.state;
        const due = nextDayStart(Date.now());
        deferred.push({ mailbox: user, due, waits, ...carried });
        const reason = `daily byte budget reached: ${formatBytes(ran.budgetReached)} a day for this account`;
        await notices.tell({ mailbox: user, until: new Date(due).toISOString(), reason });
        continue;
      }
      if (used[user]) ran.outcome.bytesToday = used[user];
      if (ran.throttle && waits < MAX_THROTTLE_WAITS) {
        const due = Date.now() + ran.throttle.retryAfterMs;
        deferred.push({ mailbox: user, due, waits: waits + 1, ...carried });
        await notices.tell({ mailbox: user, until: new Date(due).toISOString(), reason: ran.throttle.reason });
        continue;
      }
      if (ran.throttle) ran.outcome.error = `throttled by the server ${waits + 1} times in this round; last: ${ran.outcome.error}`;
      results.push(account(ran));
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.sync.concurrency, pending.length) }, lane));
  await notices.flush(); // the runbook hears of every wait before this run of the round ends

  const all = [...done, ...orderLike(pending, results)];
  if (all.length < input.mailboxes.length) {
    // The next run needs the spec and previous states of the mailboxes still to do only
    // (those waiting out a throttle among them, with their timers), after those done.
    const finished = new Set(all.map((o) => o.mailbox));
    const left = input.mailboxes.filter((u) => !finished.has(u));
    const leftSet = new Set(left);
    await continueAsNew<typeof mailboxRound>({
      ...input,
      spec: { ...spec, mailboxes: spec.mailboxes.filter((m) => leftSet.has(m.source.user)) },
      mailboxes: [...all.map((o) => o.mailbox), ...left],
      previousStates: Object.fromEntries(Object.entries(states).filter(([u]) => leftSet.has(u))),
      done: all,
      deferred,
      bytesToday: Object.fromEntries(Object.entries(used).filter(([u]) => leftSet.has(u))),
    });
  }
  return all;
}

/** A mailbox's run in a round: its outcome, its new sync state, and the server's throttle if it asked to wait. */
interface Ran {
  outcome: MailboxOutcome;
  state?: SyncState;
  throttle?: Throttle;
  /** The sync stopped at its daily byte budget (this many bytes a day): the mailbox waits for the next day. */
  budgetReached?: number;
}

/** Results in the order of the mailboxes list (lanes finish in any order). */
function orderLike(users: string[], results: MailboxOutcome[]): MailboxOutcome[] {
  const found = new Map(results.map((r) => [r.mailbox, r]));
  return users.filter((u) => found.has(u)).map((u) => found.get(u)!);
}
