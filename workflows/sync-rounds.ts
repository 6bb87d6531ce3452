// The runbook's mailbox rounds: preflight, the daily pre-syncs until the migration hour,
// each wave's cut-over and final sync, and the post-syncs. Each round is a mailboxRound
// child workflow; the runbook keeps its summary and each mailbox's sync state.
import { ApplicationFailure, condition, executeChild, workflowInfo } from '@temporalio/workflow';
import { mailboxRound, type MailboxOutcome, type RoundInput, type RoundKind } from './mailbox-round';
import { notifyUsers } from './notices';
import { withStatesWithinBudget } from './payload-budget';
import { accessAct } from './runbook-activities';
import type { Runbook } from './runbook';
import type { RoundSummary } from './status';

const HOUR = 3_600_000;
const nowIso = () => new Date().toISOString();

export async function round(run: Runbook, kind: RoundKind, wave?: string): Promise<MailboxOutcome[]> {
  const started = Date.now();
  const users = run.usersOf(wave);
  const inRound = new Set(users);
  // The round makes room for each new state as it uses up the previous one (mailbox-round.ts).
  const input = withStatesWithinBudget<RoundInput>(
    {
      // Only this round's mailboxes: a round's input stays small however many there are.
      spec: { ...run.spec, mailboxes: run.spec.mailboxes.filter((m) => inRound.has(m.source.user)) },
      kind,
      mailboxes: users,
      usersOnHost2: Object.entries(run.mailboxes).filter(([, m]) => m.usersOnHost2).map(([u]) => u),
      mxOnHost2: run.mxOnHost2,
    },
    run.syncStates,
  );
  const outcomes = await executeChild(mailboxRound, {
    workflowId: `${workflowInfo().workflowId}/${kind}-${run.rounds.length + 1}${wave ? `-${wave}` : ''}`,
    args: [input],
  });
  for (const { state, ...o } of outcomes) {
    run.mailboxes[o.mailbox].last = { ...o, kind };
    if (state) run.syncStates[o.mailbox] = state;
    else if (kind !== 'verify') delete run.syncStates[o.mailbox];
  }
  const summary: RoundSummary = {
    kind,
    wave,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    mailboxes: outcomes.length,
    failed: outcomes.filter((o) => !o.ok).map((o) => o.mailbox),
    copied: outcomes.reduce((n, o) => n + o.copied, 0),
    deleted: outcomes.reduce((n, o) => n + o.deleted, 0),
  };
  run.rounds.push(summary);
  if (summary.deleted > 0) {
    const any = run.usersOf(wave)[0];
    const onHost2 = run.mailboxes[any]?.usersOnHost2 ?? false;
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

/** Step 1: log in on both sides and compare what is there; stop on failures. */
export async function preflight(run: Runbook): Promise<void> {
  await run.step('preflight');
  const outcomes = await round(run, 'verify');
  const failed = outcomes.filter((o) => o.error);
  if (failed.length) {
    throw ApplicationFailure.nonRetryable(
      `preflight failed for ${failed.length} mailbox(es): ${failed.map((o) => `${o.mailbox}: ${o.error}`).join('; ')}`,
      'PreflightFailed',
    );
  }
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
}

/** Steps 6-7 for one wave: cut users' access to host1, then the final sync and its verification. */
export async function cutAccessAndFinalSync(run: Runbook, wave: string): Promise<void> {
  await run.step(`cut-over: ${wave}`);
  const users = run.usersOf(wave);
  await notifyUsers(run, 'users-cutover', users);
  if (run.spec.access.method !== 'dns') {
    await accessAct.cutAccess({ method: run.spec.access, users, phase: 'cutover' });
    run.accessCut.push(...users);
    run.audit.push({ at: nowIso(), kind: 'access', step: 'cut', users });
  }
  await run.step(`final sync: ${wave}`);
  const synced = await round(run, 'final', wave);
  const verified = await round(run, 'verify', wave);
  const previous = run.finalSync ?? { completed: true, missing: 0, failedMailboxes: [] };
  run.finalSync = {
    completed: previous.completed,
    missing: previous.missing + verified.reduce((n, o) => n + o.missing, 0),
    failedMailboxes: [...previous.failedMailboxes, ...synced.filter((o) => !o.ok).map((o) => o.mailbox)],
  };
}

/** Step 10: post-sync the INBOX: max age 1 day, delete on host1 only what host2 has. */
export async function postSync(run: Runbook): Promise<MailboxOutcome[]> {
  await run.step('post-sync');
  return round(run, 'postsync');
}

/**
 * Step 11: keep post-syncing on the cadence while mail still arrives on host1, until
 * enough quiet rounds in a row, or until an approver approves gate `done`.
 */
export async function postSyncUntilQuiet(run: Runbook): Promise<void> {
  const { gates } = run;
  gates.open('done');
  run.enter('post-syncing until quiet');
  while (run.quietRounds < run.spec.schedule.quietRoundsToFinish && !gates.isApproved('done')) {
    const waitMs = run.spec.schedule.postsyncEveryHours * HOUR;
    run.nextTimer = { what: 'next post-sync (or approve gate done)', at: new Date(Date.now() + waitMs).toISOString() };
    run.show();
    if (await condition(() => gates.isApproved('done') || !!gates.rollbackRequested, waitMs)) break;
    run.nextTimer = undefined;
    await run.continueAsNewIfLong('postsync');
    const outcomes = await postSync(run);
    run.quietRounds = outcomes.some((o) => o.copied > 0) ? 0 : run.quietRounds + 1;
  }
  run.nextTimer = undefined;
  if (gates.openGate === 'done') gates.close();
}
