// Holding a wave's incoming mail at its cut-over (spec mailFlow.hold), so that nothing
// reaches host1 behind the final sync's back: hold, wait until host1's MTA has nothing
// pending for the wave, final sync; then, once the sync is verified (the phase rule),
// re-route the wave to host2 and release. Each change is recorded before it is made: a
// rollback (releaseHeldToHost1) undoes whatever may have been done.
import { ApplicationFailure } from '@temporalio/workflow';
import { RollbackRequested } from './gates';
import { releaseRefusal } from './phase-rules';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';
import { mailAddressOf } from './mail-address';
import type { MailHoldSpec, MigrationSpec } from './spec';
import { stopAtStepFailed } from './step-failed';

/** Per wave: held messages last counted, and whether they went to host2. */
export interface WaveMailHold {
  held: number;
  released: boolean;
}

const LOOK_EVERY_MS = 10_000;
const PENDING_WAIT_MS = 30 * 60_000;
const nowIso = () => new Date().toISOString();

const holdAddresses = (spec: MigrationSpec, users: string[]): string[] => users.map((u) => mailAddressOf(u, spec.dns.mx.name));

/** Before the wave's final sync: hold its mail, then wait until none is pending on host1's MTA. */
export async function holdWaveMail(run: Runbook, wave: string): Promise<void> {
  const hold = run.spec.mailFlow.hold;
  if (!hold) return;
  const users = run.usersOf(wave);
  const addresses = holdAddresses(run.spec, users);
  run.mailHold[wave] ??= { held: 0, released: false };
  run.mailHold[wave].released = false;
  await run.step(`holding mail: ${wave}`);
  await act.holdMail({ hold, addresses });
  run.audit.push({ at: nowIso(), kind: 'mail-hold', step: 'hold', wave, users, held: run.mailHold[wave].held });
  for (let deadline = Date.now() + PENDING_WAIT_MS; ;) {
    const queued = await act.mailQueue({ hold, addresses });
    run.mailHold[wave].held = queued.held;
    if (!queued.pending) return run.show();
    if (Date.now() >= deadline) {
      await stopAtStepFailed(
        run,
        'mail hold',
        `${queued.pending} message(s) for ${wave} are still in host1's MTA queue (active or deferred) after ${PENDING_WAIT_MS / 60_000} minutes`,
      );
      deadline = Date.now() + PENDING_WAIT_MS;
    }
    await run.wait(`host1's MTA to deliver what it has for ${wave}`, LOOK_EVERY_MS);
    if (run.gates.rollbackRequested) throw new RollbackRequested();
  }
}

/** After the wave's final sync: only into verified mailboxes (else step-failed, whose retry syncs again), re-route to host2 and release. */
export async function releaseWaveMail(run: Runbook, wave: string, syncAgain: (users: string[]) => Promise<void>): Promise<void> {
  const hold = run.spec.mailFlow.hold;
  if (!hold) return;
  const users = run.usersOf(wave);
  for (let refusal = releaseRefusal(run.finalSync, users); refusal; refusal = releaseRefusal(run.finalSync, users)) {
    await stopAtStepFailed(run, 'release held mail', refusal);
    await syncAgain(users.filter((u) => run.finalSync?.missing[u] !== 0));
  }
  await run.step(`releasing held mail to host2: ${wave}`);
  await release(run, hold, wave, 'host2');
}

/** Rollback: every wave ever held gets its mail back on host1 (hold and re-route removed). */
export async function releaseHeldToHost1(run: Runbook): Promise<void> {
  const hold = run.spec.mailFlow.hold;
  if (!hold) return;
  for (const wave of Object.keys(run.mailHold)) await release(run, hold, wave, 'host1');
}

async function release(run: Runbook, hold: MailHoldSpec, wave: string, to: 'host1' | 'host2'): Promise<void> {
  const users = run.usersOf(wave);
  // The rule again, where the change is made: no path may release unverified mailboxes into host2.
  const refusal = to === 'host2' ? releaseRefusal(run.finalSync, users) : undefined;
  if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'PhaseRule');
  const { released } = await act.releaseMail({ hold, addresses: holdAddresses(run.spec, users), to });
  run.mailHold[wave] = { held: 0, released: to === 'host2' };
  run.audit.push({ at: nowIso(), kind: 'mail-hold', step: `release to ${to}`, wave, users, held: released });
  run.show();
}
