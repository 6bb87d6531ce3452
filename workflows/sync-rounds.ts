// The runbook's mailbox rounds: preflight, the daily pre-syncs until the migration hour,
// each wave's cut-over and final sync, and the post-syncs. Each round is a mailboxRound
// child workflow; the runbook keeps its summary and each mailbox's sync state.
import { ApplicationFailure, executeChild, patched, workflowInfo } from '@temporalio/workflow';
import * as accessSteps from './access-steps';
import { holdWaveMail, releaseWaveMail } from './mail-hold';
import { mailboxRound, mailboxRoundPage, type MailboxOutcome, type RoundInput, type RoundKind } from './mailbox-round';
import { unpackOutcomes } from './round-result';
import { cutoverTimes, notifyUsers } from './notices';
import { pages, specFor } from './mailbox-pages';
import { PAYLOAD_BUDGET_BYTES, withStatesWithinBudget } from './payload-budget';
import { mxMoveRefusal } from './phase-rules';
import type { Runbook } from './runbook';
import { ROUND_FAILED_NAMED, type RoundSummary } from './status';
import { stopAtStepFailed } from './step-failed';

const HOUR = 3_600_000;
/** At the migration hour, past this many events the cut-over starts in a fresh run. */
const CUTOVER_HISTORY_BUDGET = 1_000;
const DAY = 24 * HOUR;
const nowIso = () => new Date().toISOString();

/**
 * How far back a post-sync looks, per mailbox: to the start of its last verified sync, an
 * hour earlier for clocks and delivery delays, and never less than the FAQ's `--maxage 1`.
 * However long the gates waited, nothing that reached host1 since that sync falls outside
 * the window. A rollback's reverse sync looks back to its final sync, or further if a
 * post-sync's window (what it may have removed from host1) reached further.
 */
function windowDays(run: Runbook, users: string[], from: 'last' | 'final'): Record<string, number> {
  return Object.fromEntries(
    users.map((u) => {
      const m = run.mailboxes[u];
      const sinceIso = (from === 'final' ? m.finalSyncFrom : m.syncedFrom) ?? m.finalSyncFrom ?? new Date(0).toISOString();
      let since = Date.parse(sinceIso) - HOUR;
      if (from === 'final' && m.host1DeletedSince) since = Math.min(since, Date.parse(m.host1DeletedSince));
      return [u, Math.max(1, (Date.now() - since) / DAY)];
    }),
  );
}

/** What the round's mailboxes copied today, for those under a daily byte budget (kept across rounds of a day). */
function bytesToday(run: Runbook, users: string[]): Pick<RoundInput, 'bytesToday'> {
  const used = users.filter((u) => run.mailboxes[u].bytesToday).map((u) => [u, run.mailboxes[u].bytesToday!]);
  return used.length ? { bytesToday: Object.fromEntries(used) } : {};
}

/** The change that packs round pages' outcomes (round-result.ts): a runbook begun before keeps its way. */
export const PACKED_PAGES_PATCH = 'packed-round-pages';

export async function round(run: Runbook, kind: RoundKind, only: { wave?: string; users?: string[] } = {}): Promise<MailboxOutcome[]> {
  const { wave } = only;
  const started = Date.now();
  const users = only.users ?? run.usersOf(wave);
  const maxAgeDays = kind === 'postsync' || kind === 'reverse' ? windowDays(run, users, kind === 'reverse' ? 'final' : 'last') : undefined;
  // A page of mailboxes per child workflow, one page after the other: each child's input
  // and result stay small however many mailboxes. The new sync states a round brings back
  // share the runbook's payload budget by the round's part of the mailboxes (payload-budget.ts).
  const userPages = users.length ? pages(users) : [users];
  const stateBudgetBytes = Math.floor((PAYLOAD_BUDGET_BYTES * users.length) / run.mailboxCount / userPages.length);
  const roundId = `${workflowInfo().workflowId}/${kind}-${run.rounds.length + 1}${wave ? `-${wave}` : ''}`;
  const outcomes: MailboxOutcome[] = [];
  // Pages' outcomes packed by column (round-result.ts); a run begun before that keeps its way.
  const packed = patched(PACKED_PAGES_PATCH);
  for (const [i, page] of userPages.entries()) {
    // The round makes room for each new state as it uses up the previous one (mailbox-round.ts).
    const input = withStatesWithinBudget<RoundInput>(
      {
        // Only this page's mailboxes (or the list's reference): a round's input stays small however many there are.
        spec: specFor(run.spec, page),
        kind,
        mailboxes: page,
        usersOnHost2: page.filter((u) => run.mailboxes[u].usersOnHost2),
        ownMailOnHost2: page.filter((u) => run.mailboxes[u].ownMailOnHost2),
        ...((kind === 'presync' || kind === 'final') && { firstSync: page.filter((u) => !run.mailboxes[u].synced) }),
        mxOnHost2: run.mxOnHost2,
        ...(maxAgeDays && { maxAgeDays: Object.fromEntries(page.map((u) => [u, maxAgeDays[u]])) }),
        ...(userPages.length > 1 && { stateBudgetBytes }),
        ...bytesToday(run, page),
      },
      run.syncStates,
    );
    const workflowId = userPages.length > 1 ? `${roundId}-page${i + 1}` : roundId;
    outcomes.push(
      ...(packed
        ? unpackOutcomes(await executeChild(mailboxRoundPage, { workflowId, args: [input] }))
        : await executeChild(mailboxRound, { workflowId, args: [input] })),
    );
  }
  const startedAt = new Date(started).toISOString();
  for (const { state, size, bytesToday, ...o } of outcomes) {
    const mailbox = run.mailboxes[o.mailbox];
    mailbox.last = { ...o, kind };
    if (bytesToday) mailbox.bytesToday = bytesToday;
    delete mailbox.throttledUntil; // the round is over for it
    delete mailbox.throttleReason;
    if (size) mailbox.size = size;
    if (kind === 'reverse') continue; // host2 to host1: not a state of the forward pair
    if (kind !== 'verify' && o.ok) mailbox.synced = true;
    // Before the MX moved (after it, new mail arrives on host2 anyway), what a sync left on
    // host2 because it could not tell users' mail from ours (a first sync, one without the
    // previous sync's marks), or kept because the marks said so, is the users' own: no sync
    // deletes on host2 there again.
    const own = (kind === 'presync' || kind === 'final') && o.ok && !run.mxOnHost2 ? (o.extra ?? 0) + (o.kept ?? 0) : 0;
    if (own && !mailbox.ownMailOnHost2) ownMailFound(run, o.mailbox, own);
    if (state) run.syncStates[o.mailbox] = state;
    else if (kind !== 'verify') delete run.syncStates[o.mailbox];
    if (o.ok && (kind === 'final' || kind === 'postsync')) mailbox.syncedFrom = startedAt;
    if (o.ok && kind === 'final') mailbox.finalSyncFrom = startedAt;
    // Even a failed back-fill may have copied some messages before it failed.
    if (kind === 'backfill') mailbox.backfilled = (mailbox.backfilled ?? 0) + o.copied;
    if (kind === 'postsync' && maxAgeDays) {
      // Even a failed post-sync may have deleted on host1 before it failed.
      const reached = started - maxAgeDays[o.mailbox] * DAY;
      if (!mailbox.host1DeletedSince || reached < Date.parse(mailbox.host1DeletedSince)) mailbox.host1DeletedSince = new Date(reached).toISOString();
    }
  }
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.mailbox);
  const summary: RoundSummary = {
    kind,
    wave,
    startedAt,
    durationMs: Date.now() - started,
    mailboxes: outcomes.length,
    failed: failed.slice(0, ROUND_FAILED_NAMED),
    failedCount: failed.length,
    copied: outcomes.reduce((n, o) => n + o.copied, 0),
    deleted: outcomes.reduce((n, o) => n + o.deleted, 0),
  };
  run.rounds.push(summary);
  if (summary.deleted > 0) {
    const onHost2 = run.mailboxes[users[0]]?.usersOnHost2 ?? false;
    run.audit.push({
      at: nowIso(),
      kind: 'destructive-sync',
      round: `${kind}${wave ? ` (${wave})` : ''}`,
      deleteOnDestination: kind !== 'postsync' && !onHost2 && !run.mxOnHost2,
      deleteOnSource: kind === 'postsync',
      deleted: summary.deleted,
    });
  }
  run.show();
  return outcomes;
}

/**
 * Step 1: log in on both sides and compare what is there; stop on failures. Messages
 * already on host2 that host1 lacks are users' own (they started early): those mailboxes
 * are never deleted on at host2, and the approvers see it at gate `start`. A mailbox's
 * first sync deletes nothing on host2 either, and what it leaves there counts as the
 * users' own too: mail put there while gate `start` or the TTL waited.
 */
export async function preflight(run: Runbook): Promise<void> {
  await run.step('preflight');
  const outcomes = await round(run, 'verify');
  throwIfFailed('preflight', outcomes, 'PreflightFailed');
  throwIfTooBig(outcomes);
  for (const o of outcomes.filter((x) => (x.extra ?? 0) > 0)) ownMailFound(run, o.mailbox, o.extra!);
}

/** The first failures are named; thousands would make an unreadable error (and gate notice). */
const NAMED_FAILURES = 20;

export function throwIfFailed(step: string, outcomes: MailboxOutcome[], type: string): void {
  const failed = outcomes.filter((o) => !o.ok);
  if (!failed.length) return;
  const named = failed.slice(0, NAMED_FAILURES).map((o) => `${o.mailbox}: ${o.error}`);
  if (failed.length > NAMED_FAILURES) named.push(`and ${failed.length - NAMED_FAILURES} more (status lists them)`);
  throw ApplicationFailure.nonRetryable(`${step} failed for ${failed.length} mailbox(es): ${named.join('; ')}`, type);
}

/**
 * The size audit: a mailbox whose mail does not fit on host2 (its quota, its largest
 * message) stops the runbook before gate start, at step-failed with the numbers: an admin
 * raises host2's quota (or limit) and retries (preflight runs again), or rolls back and
 * starts again leaving large messages out (sync.maxSizeBytes).
 */
function throwIfTooBig(outcomes: MailboxOutcome[]): void {
  const tooBig = outcomes.filter((o) => o.size?.doesNotFit);
  if (!tooBig.length) return;
  const named = tooBig.slice(0, NAMED_FAILURES).map((o) => `${o.mailbox}: ${o.size!.doesNotFit}`);
  if (tooBig.length > NAMED_FAILURES) named.push(`and ${tooBig.length - NAMED_FAILURES} more (status lists them)`);
  throw ApplicationFailure.nonRetryable(
    `preflight: ${tooBig.length} mailbox(es) do not fit on host2 (raise host2's quota or limit, then retry): ${named.join('; ')}`,
    'MailboxDoesNotFit',
  );
}

function ownMailFound(run: Runbook, mailbox: string, messages: number): void {
  run.mailboxes[mailbox].ownMailOnHost2 = messages;
  run.audit.push({ at: nowIso(), kind: 'own-mail-on-host2', mailbox, messages });
}

/** Step 4: pre-sync every mailbox on the cadence until the migration hour. */
export async function presyncUntilMigrationHour(run: Runbook): Promise<void> {
  const migrationAt = Date.parse(run.spec.schedule.migrationAt);
  const cadence = run.spec.schedule.presyncEveryHours * HOUR;
  do {
    await run.step('pre-sync');
    await round(run, 'presync');
    const left = migrationAt - Date.now();
    if (left > 0) await run.wait('next pre-sync or the migration hour', Math.min(cadence, left));
    if (Date.now() < migrationAt) await run.continueAsNewIfLong('presync');
  } while (Date.now() < migrationAt);
  // The cut-over (a page of children per wave and notice, thousands of mailboxes) starts a fresh run when this one has grown.
  await run.continueAsNewIfLong('cutover', CUTOVER_HISTORY_BUDGET);
}

/**
 * Steps 6-7 for one wave: cut users' access to host1, then the final sync, each mailbox
 * verified as of its start (its mail held around it when the spec says so).
 */
export async function cutAccessAndFinalSync(run: Runbook, wave: string): Promise<void> {
  await cutAccess(run, wave);
  await holdWaveMail(run, wave);
  await finalSync(run, wave);
  await releaseWaveMail(run, wave, async (users) => recordFinalSync(run, await round(run, 'final', { users })));
}

/**
 * Step 6 for one wave: tell its users, cut their access to host1. Cut by DNS (the name
 * already parked and its TTL waited out), the wave's sessions still open on host1 are
 * closed when the spec says how.
 */
export async function cutAccess(run: Runbook, wave: string): Promise<void> {
  await run.step(`cut-over: ${wave}`);
  const users = run.usersOf(wave);
  // Classical: a wave that others follow hears from us again only after their cut-over
  // gates, whenever approvers pass them: no deadline then. (Lucky cuts every wave after one gate.)
  const later = run.spec.scenario === 'classical' && wave !== run.waves.at(-1);
  await notifyUsers(run, later ? 'users-cutover-early' : 'users-cutover', users, cutoverTimes(run, { deadline: !later }));
  const { access } = run.spec;
  if (access.method !== 'dns') {
    await accessSteps.cutAccess(access, users);
    const cut = new Set(run.accessCut);
    run.accessCut.push(...users.filter((u) => !cut.has(u)));
    run.audit.push({ at: nowIso(), kind: 'access', step: 'cut', wave, users });
  } else if (access.doveadmConfig) {
    await accessSteps.closeSessions(access, access.doveadmConfig, users);
    run.audit.push({ at: nowIso(), kind: 'access', step: 'close sessions', wave, users });
  }
}

/** Step 7 for one wave: the final sync, each mailbox verified as of its start. */
export async function finalSync(run: Runbook, wave: string): Promise<void> {
  await run.step(`final sync: ${wave}`);
  recordFinalSync(run, await round(run, 'final', { wave }));
}

function recordFinalSync(run: Runbook, outcomes: MailboxOutcome[]): void {
  const finalSync = (run.finalSync ??= { missing: {}, failed: {} });
  for (const o of outcomes) {
    if (o.ok) {
      finalSync.missing[o.mailbox] = o.missing;
      delete finalSync.failed[o.mailbox];
    } else {
      finalSync.failed[o.mailbox] = o.error ?? 'failed';
      delete finalSync.missing[o.mailbox];
    }
  }
}

/**
 * Before gate switch-mx opens: the rule that the MX moves only after every mailbox's
 * verified final sync. When it refuses, the runbook stops at gate `step-failed` with the
 * mailboxes and their missing counts; a retry runs their final sync again.
 */
export async function verifyFinalSync(run: Runbook): Promise<void> {
  for (;;) {
    await run.step('checking the final sync');
    const refusal = mxMoveRefusal(run.finalSync, run.usersOf());
    if (!refusal) return;
    await stopAtStepFailed(run, 'final sync', refusal);
    const again = run.usersOf().filter((u) => run.finalSync?.missing[u] !== 0);
    await run.step('final sync: again');
    recordFinalSync(run, await round(run, 'final', { users: again }));
  }
}
