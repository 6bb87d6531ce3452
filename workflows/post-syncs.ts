// The rounds after the MX moved: the post-syncs (classical, lucky) that copy what still
// reached host1 until quiet, and mx-first's back-fill of the old mail. A mailbox that
// fails stops the runbook at gate step-failed in both.
import { condition } from '@temporalio/workflow';
import type { MailboxOutcome } from './mailbox-round';
import type { Runbook } from './runbook';
import { round, throwIfFailed } from './sync-rounds';

const HOUR = 3_600_000;

/**
 * Step 10: post-sync the INBOX since each mailbox's last sync, delete on host1 only what
 * host2 has. A mailbox that failed stops the runbook at gate `step-failed`: its mail on
 * host1 is not copied, and silence would let the runbook take it for a quiet one.
 */
export async function postSync(run: Runbook): Promise<MailboxOutcome[]> {
  await run.step('post-sync');
  const outcomes = await round(run, 'postsync');
  throwIfFailed('post-sync', outcomes, 'PostSyncFailed');
  return outcomes;
}

/**
 * mx-first: one back-fill round, every folder from host1 to host2, deleting on neither
 * side (phase-rules.ts). A mailbox that failed stops the runbook at gate `step-failed`:
 * its old mail is not on host2, and a round that copied nothing but skipped it is no
 * complete back-fill.
 */
export async function backfill(run: Runbook): Promise<MailboxOutcome[]> {
  await run.step('back-fill');
  const outcomes = await round(run, 'backfill');
  throwIfFailed('back-fill', outcomes, 'BackfillFailed');
  return outcomes;
}

/**
 * mx-first: back-fill on the pre-sync cadence until a round copies nothing for any
 * mailbox (mail that still reached host1 while the low TTL ran out is copied too). The
 * runbook continues-as-new between rounds when its history has grown.
 */
export async function backfillUntilComplete(run: Runbook): Promise<void> {
  for (;;) {
    const outcomes = await run.backfill();
    if (outcomes?.every((o) => o.ok && o.copied === 0)) return;
    await run.wait('next back-fill round', run.spec.schedule.presyncEveryHours * HOUR);
    await run.continueAsNewIfLong('backfill');
  }
}

/**
 * Step 11: keep post-syncing on the cadence while mail still arrives on host1, until
 * enough quiet rounds in a row, or until an approver approves gate `done`.
 */
export async function postSyncUntilQuiet(run: Runbook): Promise<void> {
  // The cut-over, the hand-over and their notices may have filled this run's history (many pages).
  await run.continueAsNewIfLong('postsync');
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
    const outcomes = await run.postSync();
    // Gate step-failed (a mailbox failed) took the place of `done`: open it again.
    if (gates.openGate !== 'done') gates.open('done');
    // A skipped round (mailboxes failed) is no quiet one.
    run.quietRounds = !outcomes || outcomes.some((o) => o.copied > 0) ? 0 : run.quietRounds + 1;
  }
  run.nextTimer = undefined;
  if (gates.openGate === 'done') gates.close();
}
