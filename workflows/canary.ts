// After the MX switch and its TTL wait: does mail for the domain reach host2? DNS can look
// right while mail still lands on host1 (a new MX host that delivers to the old server, a
// secondary MX left alone) or bounces. One uniquely marked message goes to the MX as DNS
// answers it now; it must arrive on host2, and not on host1, before users are told host1
// is gone. Anything else stops at gate `canary` with what was found.
import { uuid4 } from '@temporalio/workflow';
import { RollbackRequested } from './gates';
import { mailboxesOf } from './mailbox-pages';
import { mailboxAccounts } from './requests';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';
import type { CanarySpec } from './spec';

/** The first look comes after a delivery's usual delay, later ones every minute. */
const FIRST_LOOK_MS = 10_000;
const LOOK_EVERY_MS = 60_000;

export type CanaryOutcome = 'on-host2' | 'on-host1' | 'refused' | 'missing';

/** The mailbox that receives the canary, and its address at the MX's domain. */
async function recipient(run: Runbook, canary: CanarySpec) {
  const { spec } = run;
  const [mailbox] = await mailboxesOf(spec, [canary.mailbox ?? run.usersOf()[0]]);
  const domain = spec.dns.mx.name.replace(/\.$/, '');
  const user = mailbox.destination.user;
  return { mailbox, address: canary.address ?? (user.includes('@') ? user : `${user}@${domain}`) };
}

/** Sends one canary and watches for it; says where it went. */
async function sendAndWatch(run: Runbook, canary: CanarySpec): Promise<{ outcome: CanaryOutcome; token: string; finding: string }> {
  const { spec } = run;
  const { mailbox, address } = await recipient(run, canary);
  const token = uuid4();
  const sent = await act.sendCanary({
    dns: { provider: spec.dns.provider, zone: spec.dns.zone, resolvers: spec.dns.checkResolvers },
    domain: spec.dns.mx.name,
    smtpPort: canary.smtpPort,
    from: canary.from ?? spec.notifications.from,
    to: address,
    token,
  });
  const what = `The canary to ${address}`;
  if (!sent.accepted) return { outcome: 'refused', token, finding: `${what} was not delivered: ${sent.detail}` };
  const taken = `${sent.via} took it (${sent.detail})`;
  const deadline = Date.now() + canary.waitMinutes * 60_000;
  for (let wait = FIRST_LOOK_MS; ; wait = LOOK_EVERY_MS) {
    await run.wait('the canary to arrive on host2', Math.min(wait, Math.max(0, deadline - Date.now())));
    if (run.gates.rollbackRequested) throw new RollbackRequested();
    const seen = await act.findCanary({ token, mailbox: mailbox.source.user, ...mailboxAccounts(spec, mailbox) });
    if (seen.host1)
      return { outcome: 'on-host1', token, finding: `${what} landed on host1, not host2: ${taken}. Mail for the domain still reaches the old server.` };
    if (seen.host2) return { outcome: 'on-host2', token, finding: `${what} arrived on host2: ${taken}.` };
    if (Date.now() >= deadline) {
      return {
        outcome: 'missing',
        token,
        finding: `${what} has not arrived on host2 (nor host1) in ${canary.waitMinutes} minutes: ${taken}. Look at that MX's queue.`,
      };
    }
  }
}

/** Until a canary reaches host2, or an approver decides to go on without one. */
export async function checkMailFlow(run: Runbook): Promise<void> {
  const canary = run.spec.mailFlow.canary;
  if (!canary) return;
  for (;;) {
    await run.step('sending the canary');
    const { outcome, token, finding } = await sendAndWatch(run, canary);
    run.audit.push({ at: new Date().toISOString(), kind: 'canary', token, outcome, finding });
    if (outcome === 'on-host2') return;
    run.canary = finding;
    run.enter('waiting for canary');
    const checks = `${finding}\nApprove to go on as if it had arrived; approve with "decision":"retry" to send a new canary once the mail flow is fixed; or roll back.`;
    await run.waitAtGate('canary', checks);
    run.canary = undefined;
    if (run.gates.rollbackRequested) throw new RollbackRequested();
    const retry = run.gates.decision === 'retry';
    run.gates.decision = undefined;
    if (!retry) return;
  }
}
