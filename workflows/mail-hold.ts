// Holding a wave's incoming mail at its cut-over (spec mailFlow.hold), so that nothing
// reaches host1 behind the final sync's back: hold, wait until host1's MTA has nothing
// pending for the wave, final sync; then, once the sync is verified (the phase rule),
// re-route the wave to host2 and release. Each change is recorded before it is made: a
// rollback (releaseHeldToHost1) undoes whatever may have been done.
// Scenario hold-and-release holds on a relay instead (spec mailFlow.holdingRelay): all mail
// for the domain, while the MX points there; released to host2 once every mailbox is verified.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';
import { RollbackRequested } from './gates';
import { relayReleaseRefusal, releaseRefusal } from './phase-rules';
import { act, actOptions } from './runbook-activities';
import type { Runbook } from './runbook';
import { mailAddressOf } from './mail-address';
import type { MailHoldSpec, MigrationSpec } from './spec';
import type { QueuedFor } from '../activities/mail-flow/hold-schema';
import { stopAtStepFailed } from './step-failed';

type WithoutQueue<T> = T extends unknown ? Omit<T, 'workerQueue'> : never;

/**
 * What runs on an MTA (its maps, queue, programs) runs on the worker beside it when the spec
 * names one (workerQueue), else on the migration's own; the MTA's config goes to the
 * activities without the queue, which is the workflow's business (as access-steps.ts does).
 */
function beside<T extends { workerQueue?: string }>(mta: T): { config: WithoutQueue<T>; on: typeof act } {
  const { workerQueue, ...config } = mta;
  return { config: config as WithoutQueue<T>, on: workerQueue ? proxyActivities<typeof activities>({ ...actOptions, taskQueue: workerQueue }) : act };
}

/** Per wave: held messages last counted, and whether they went to host2. */
export interface WaveMailHold {
  held: number;
  released: boolean;
}

const LOOK_EVERY_MS = 10_000;
const PENDING_WAIT_MS = 30 * 60_000;
const nowIso = () => new Date().toISOString();

const holdAddresses = (spec: MigrationSpec, users: string[]): string[] => users.map((u) => mailAddressOf(u, spec.dns.mx.name));

/** The holding relay's mail (scenario hold-and-release): held messages last counted, and where it was released. */
export interface RelayHold {
  held: number;
  released?: 'host1' | 'host2';
}

/**
 * Looks at host1's MTA queue every 10 s until nothing is pending for `what`; after half an
 * hour without that, stops at gate step-failed (`step`), whose retry looks on.
 */
async function untilNothingPending(run: Runbook, step: string, what: string, look: () => Promise<QueuedFor>): Promise<void> {
  for (let deadline = Date.now() + PENDING_WAIT_MS; ;) {
    const queued = await look();
    if (!queued.pending) return run.show();
    if (Date.now() >= deadline) {
      await stopAtStepFailed(
        run,
        step,
        `${queued.pending} message(s) for ${what} are still in host1's MTA queue (active or deferred) after ${PENDING_WAIT_MS / 60_000} minutes`,
      );
      deadline = Date.now() + PENDING_WAIT_MS;
    }
    await run.wait(`host1's MTA to deliver what it has for ${what}`, LOOK_EVERY_MS);
    if (run.gates.rollbackRequested) throw new RollbackRequested();
  }
}

/** Before the wave's final sync: hold its mail, then wait until none is pending on host1's MTA. */
export async function holdWaveMail(run: Runbook, wave: string): Promise<void> {
  const hold = run.spec.mailFlow.hold;
  if (!hold) return;
  const users = run.usersOf(wave);
  const addresses = holdAddresses(run.spec, users);
  run.mailHold[wave] ??= { held: 0, released: false };
  run.mailHold[wave].released = false;
  await run.step(`holding mail: ${wave}`);
  const mta = beside(hold);
  await mta.on.holdMail({ hold: mta.config, addresses });
  run.audit.push({ at: nowIso(), kind: 'mail-hold', step: 'hold', wave, users, held: run.mailHold[wave].held });
  await untilNothingPending(run, 'mail hold', wave, async () => {
    const queued = await mta.on.mailQueue({ hold: mta.config, addresses });
    run.mailHold[wave].held = queued.held;
    return queued;
  });
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
  if (hold) for (const wave of Object.keys(run.mailHold)) await release(run, hold, wave, 'host1');
  // The relay's hold, or its route to host2, may be in place (recorded before it was made).
  if (run.relayHold) await releaseRelay(run, 'host1');
}

const relayOf = (run: Runbook) => run.spec.mailFlow.holdingRelay!;
const domainOf = (run: Runbook) => run.spec.dns.mx.name.replace(/\.$/, '');

/** Hold-and-release, before the MX points to the relay: from now on it holds all mail for the domain. */
export async function holdOnRelay(run: Runbook): Promise<void> {
  await run.step('holding mail on the relay');
  run.relayHold ??= { held: 0 };
  run.relayHold.released = undefined;
  const domain = domainOf(run);
  const relay = beside(relayOf(run).relay);
  await relay.on.holdDomainMail({ relay: relay.config, domain });
  run.audit.push({ at: nowIso(), kind: 'holding-relay', step: 'hold', domain, held: 0 });
  run.show();
}

/** Hold-and-release, once the MX left host1 and its TTL ran out: nothing may still be pending there for the users. */
export async function waitForHost1Queue(run: Runbook): Promise<void> {
  const host1Queue = relayOf(run).host1Queue;
  if (!host1Queue) return;
  await run.step("checking host1's MTA queue");
  const addresses = holdAddresses(run.spec, run.usersOf());
  const mta = beside(host1Queue);
  await untilNothingPending(run, "host1's queue", 'the migrated users', () => mta.on.mailQueue({ hold: mta.config, addresses }));
}

/** Hold-and-release, after every mailbox's final sync was verified (the phase rule): the relay sends what it holds to host2. */
export async function releaseRelayToHost2(run: Runbook): Promise<void> {
  await run.step('releasing held mail to host2');
  await releaseRelay(run, 'host2');
}

async function releaseRelay(run: Runbook, to: 'host1' | 'host2'): Promise<void> {
  // The rule where the change is made: no path releases into host2 before every mailbox is verified.
  const refusal = to === 'host2' ? relayReleaseRefusal(run.finalSync, run.usersOf()) : undefined;
  if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'PhaseRule');
  const domain = domainOf(run);
  // Recorded before it is made: a rollback after this routes the relay back to host1 and copies host2's mail back.
  run.relayHold = { held: run.relayHold?.held ?? 0, released: to };
  const relay = beside(relayOf(run).relay);
  const { released } = await relay.on.releaseDomainMail({ relay: relay.config, domain, to });
  run.relayHold.held = 0;
  run.audit.push({ at: nowIso(), kind: 'holding-relay', step: `release to ${to}`, domain, held: released });
  run.show();
}

/** Hold-and-release, at the end: nothing may be left on the relay (held, or not delivered to host2). */
export async function checkRelayEmpty(run: Runbook): Promise<void> {
  await run.step('checking the holding relay is empty');
  const domain = domainOf(run);
  const relay = beside(relayOf(run).relay);
  const { held, pending } = await relay.on.relayQueue({ relay: relay.config, domain });
  if (run.relayHold) run.relayHold.held = held;
  if (held + pending) {
    throw ApplicationFailure.nonRetryable(
      `the holding relay still has ${held + pending} message(s) for ${domain} (${held} held, ${pending} not yet delivered): look at its queue, then retry`,
      'RelayNotEmpty',
    );
  }
}

async function release(run: Runbook, hold: MailHoldSpec, wave: string, to: 'host1' | 'host2'): Promise<void> {
  const users = run.usersOf(wave);
  // The rule again, where the change is made: no path may release unverified mailboxes into host2.
  const refusal = to === 'host2' ? releaseRefusal(run.finalSync, users) : undefined;
  if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'PhaseRule');
  const mta = beside(hold);
  const { released } = await mta.on.releaseMail({ hold: mta.config, addresses: holdAddresses(run.spec, users), to });
  run.mailHold[wave] = { held: 0, released: to === 'host2' };
  run.audit.push({ at: nowIso(), kind: 'mail-hold', step: `release to ${to}`, wave, users, held: released });
  run.show();
}
