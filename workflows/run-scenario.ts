// How a migration starts: its spec validated once (recorded in history, so a later
// release's schema never re-judges a running migration), the runbook's own continuation
// state taken only from a run of this migration that continued-as-new, then the scenario's
// steps, a rollback requested at any step taking the back-out path.
import { ApplicationFailure, patched, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type * as activities from '../activities';
import { RollbackRequested } from './gates';
import { loadRoster } from './mailbox-pages';
import { Runbook } from './runbook';
import type { RunbookSnapshot } from './snapshot';
import type { MigrationSpec, MigrationSpecInput } from './spec';
import { mailboxesQuery, mailboxQuery, statusQuery, type MigrationReport, type MigrationStatus } from './status';
import { failureMessage } from './step-failed';

/** The change that starts the steps after the spec's local activity in a workflow task of their own. */
export const SPEC_APART_PATCH = 'spec-checked-apart';

const { validateSpec } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

/**
 * The spec, validated once when the migration starts (recorded in history, so a later
 * release's schema never re-judges a running migration); a continued run gets it as it
 * was then. The second argument is the runbook's own continuation state: it is taken only
 * from a run of this migration that continued-as-new, never from whoever starts one.
 */
async function specOf(input: MigrationSpecInput | MigrationSpec, resume: RunbookSnapshot | undefined): Promise<MigrationSpec> {
  const info = workflowInfo();
  // Every run of a cron schedule gets the start's arguments, and would run the migration again.
  if (info.cronSchedule) throw ApplicationFailure.nonRetryable('a migration runs once: start it without a cron schedule', 'InvalidInput');
  if (resume !== undefined && resume !== null) {
    // A retry of the workflow is marked as continued too, but gets the start's arguments again.
    if (!info.continuedFromExecutionRunId || info.attempt > 1) {
      throw ApplicationFailure.nonRetryable(
        "a migration starts with its spec alone: a second argument is refused (it is the runbook's own continuation state)",
        'InvalidInput',
      );
    }
    return input as MigrationSpec;
  }
  try {
    return await validateSpec({ spec: input, now: new Date().toISOString() });
  } catch (err) {
    throw ApplicationFailure.nonRetryable(failureMessage(err), 'InvalidSpec');
  }
}

/**
 * Until the runbook stands (the spec's check, the mailbox list), queries get a status that
 * says so: an operator's first look right after the start must not fail. The runbook's own
 * handlers replace these.
 */
function answerWhileStarting(): void {
  const { workflowId, workflowType } = workflowInfo();
  const starting: MigrationStatus = {
    name: workflowId,
    scenario: workflowType,
    phase: 'starting: checking the spec',
    paused: false,
    mailboxes: {},
    waves: [],
    rounds: [],
    steps: [],
    currentStep: -1,
    dns: { before: [], now: [] },
    audit: [],
  };
  setHandler(statusQuery, () => starting);
  setHandler(mailboxesQuery, () => ({ total: 0, mailboxes: {} }));
  setHandler(mailboxQuery, () => null);
}

/** Runs a scenario's steps; a rollback requested at any step takes the back-out path. */
export async function runScenario(
  input: MigrationSpecInput | MigrationSpec,
  resume: RunbookSnapshot | undefined,
  steps: (run: Runbook) => Promise<void>,
): Promise<MigrationReport> {
  // A slow local activity's result (the spec's check) can close its workflow task, the steps
  // after it going to the next; a replay hands the result over in the first task and runs
  // those steps there, where a patched() in them (round pages) gets the wrong answer. A
  // timer puts the steps in a task of their own, once the runbook answers queries. Asked
  // before the local activity, so that its marker is the run's first command.
  answerWhileStarting();
  const apart = (resume === undefined || resume === null) && patched(SPEC_APART_PATCH);
  const spec = await specOf(input, resume);
  const run = new Runbook(spec, await loadRoster(spec), resume);
  if (apart) await sleep(1);
  try {
    await steps(run);
    return run.report('completed');
  } catch (err) {
    if (err instanceof RollbackRequested) return run.rollback();
    throw err;
  }
}
