// A migration never dies half-way. A step that keeps failing (its activity out of
// retries), a phase rule that refuses, DNS that does not propagate: the runbook stops at
// gate `step-failed`, says what failed and what is already changed, tells the approvers,
// and takes `retry`, `skip` (where the phase rules allow it) or a rollback.
import { ActivityFailure, ChildWorkflowFailure, ContinueAsNew, isCancellation } from '@temporalio/workflow';
import { recordKey } from './dns-steps';
import { RollbackRequested, type FailureDecision } from './gates';
import { maySkip } from './phase-rules';
import type { Runbook } from './runbook';

/** The failure's own words: an activity's or a child's cause, not "Activity task failed". */
export function failureMessage(err: unknown): string {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** What the migration has changed in the world so far: what a retry, a skip or a rollback starts from. */
export function changedSoFar(run: Runbook): string[] {
  const dns = [...run.currentRecords].flatMap(([key, r]) => {
    const original = run.originalRecords.find((o) => recordKey(o) === key) ?? null;
    if (JSON.stringify(r) === JSON.stringify(original)) return [];
    return [r ? `DNS ${r.name} ${r.type} is now ${r.values.join(', ')} (TTL ${r.ttl})` : `DNS ${key.replace('/', ' ')} is deleted`];
  });
  const onHost2 = Object.values(run.mailboxes).filter((m) => m.usersOnHost2).length;
  const held = Object.entries(run.mailHold);
  return [
    ...dns,
    run.mxOnHost2 ? 'the MX points to host2: new mail arrives there' : '',
    run.accessCut.length ? `access to host1 is cut for ${run.accessCut.length} user(s)` : '',
    onHost2 ? `${onHost2} user(s) were given host2` : '',
    ...held.map(([wave, h]) =>
      h.released ? `mail for ${wave} is re-routed to host2 on host1's MTA` : `mail for ${wave} is held on host1's MTA (${h.held} message(s))`,
    ),
    run.relayHold
      ? run.relayHold.released
        ? `the holding relay sends the domain's mail to ${run.relayHold.released}`
        : `the holding relay holds the domain's mail${run.relayHold.held ? ` (${run.relayHold.held} message(s) last counted)` : ''}`
      : '',
  ].filter(Boolean);
}

/** Waits at gate `step-failed` for an approver's decision; a rollback requested there takes the back-out path. */
export async function stopAtStepFailed(run: Runbook, step: string, error: string): Promise<FailureDecision> {
  const changed = changedSoFar(run);
  const skippable = maySkip(step);
  run.audit.push({ at: new Date().toISOString(), kind: 'step-failed', step, error, changed });
  run.failure = { step, error, changed, choices: skippable ? 'retry, skip or rollback' : 'retry or rollback' };
  const phase = run.phase;
  const { rollingBack } = run;
  run.enter(`waiting for step-failed (${step})`);
  const nextSteps = [
    `Already changed: ${changed.length ? changed.join('; ') : 'nothing yet'}.`,
    `Approve gate step-failed with {"gate":"step-failed","by":"<approver>","decision":"retry"}` +
      (skippable ? ' (or "decision":"skip" to go on without this step)' : '') +
      (rollingBack ? '.' : ', or send rollback.'),
  ].join('\n');
  await run.waitAtGate('step-failed', `${step}: ${error}`, {
    endsOnRollback: !rollingBack,
    skippable,
    notice: ['approver-failure', { step, error, nextSteps }],
  });
  run.failure = undefined;
  if (run.gates.rollbackRequested && !rollingBack) throw new RollbackRequested();
  run.enter(phase);
  const decision = run.gates.decision ?? 'retry';
  run.gates.decision = undefined;
  return decision;
}

/** Runs a step; when it fails, stops at gate `step-failed` and retries or skips it as decided. */
export async function withRecovery<T>(run: Runbook, step: string, work: () => Promise<T>): Promise<T | undefined> {
  for (;;) {
    try {
      return await work();
    } catch (err) {
      // Not failures: the back-out path, a hand-over to a fresh run, a cancellation.
      if (err instanceof RollbackRequested || err instanceof ContinueAsNew || isCancellation(err)) throw err;
      if ((await stopAtStepFailed(run, step, failureMessage(err))) === 'skip') return undefined;
    }
  }
}
