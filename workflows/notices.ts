// Notices to users and approvers: what each gate means, who is told, and the data every
// notice template gets (activities/notify renders and sends them).
import { workflowInfo } from '@temporalio/workflow';
import type { NoticeKind } from '../activities/notify/schema';
import { cutoverDeadline, finalSyncEstimateMs, inZoneOf, spokenDuration } from './estimate';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';
import type { GateName } from './spec';

/** What approving each gate lets happen, in the approver's notices. */
export const GATE_MEANING: Record<GateName, string> = {
  start: 'the migration starts: TTLs are lowered and the daily pre-syncs begin',
  cutover: 'users lose access to the old server and the final sync runs',
  'switch-mx': 'new mail goes to the new server (the MX records change)',
  'shutdown-old': 'the IMAP host name moves to the new server',
  done: 'the post-syncs end and the TTLs go back to normal',
  'step-failed': 'the failed step runs again ("decision":"retry"), or the runbook goes on without it ("decision":"skip", where the rules allow)',
  'dns-conflict': 'mailshift makes its change over the record as it is now (put the record back yourself first, or roll back, if it must stay)',
};

export async function notifyUsers(run: Runbook, notice: NoticeKind, users: string[], data: Record<string, string> = {}): Promise<void> {
  const byUser = new Map(run.spec.mailboxes.map((m) => [m.source.user, m]));
  const to = users.map((u) => byUser.get(u)?.contact).filter((c): c is string => !!c);
  if (to.length) await send(run, notice, to, data);
}

/** The new credentials triplet, one message per user: host name, user, where the password is. */
export async function notifyNewCredentials(run: Runbook, users: string[]): Promise<void> {
  for (const m of run.spec.mailboxes.filter((mb) => users.includes(mb.source.user) && mb.contact)) {
    const server = m.destination.server ?? run.spec.host2;
    await send(run, 'users-new-credentials', [m.contact!], {
      user: m.destination.user,
      imapHost: server.host,
      imapPort: String(server.port),
      imapSecurity: { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' }[server.tls],
      passwordInstructions: run.spec.notifications.passwordInstructions,
    });
  }
}

/**
 * The cut-over notice's figures, from the last pre-sync. None before one was measured:
 * the template then refuses to render rather than send an invented duration.
 */
export function cutoverTimes(run: Runbook): Record<string, string> {
  const estimate = finalSyncEstimateMs(run.rounds);
  if (estimate === undefined) return {};
  const deadline = cutoverDeadline(Date.now(), estimate, run.spec.dns.lowTtl);
  return { expectedDuration: spokenDuration(estimate), expectedEnd: inZoneOf(deadline, run.spec.schedule.migrationAt) };
}

export async function notifyApprovers(run: Runbook, notice: NoticeKind, data: Record<string, string> = {}): Promise<void> {
  const to = run.spec.notifications.approverEmails;
  if (to.length) await send(run, notice, to, { approvers: run.spec.approvals.approvers.join(', '), ...data });
}

async function send(run: Runbook, notice: NoticeKind, to: string[], data: Record<string, string>): Promise<void> {
  const { spec } = run;
  const n = run.audit.count('notice');
  const { workflowId, namespace } = workflowInfo();
  await act.sendNotice({
    notice,
    to,
    from: spec.notifications.from,
    smtp: spec.notifications.smtp,
    data: {
      migrationName: spec.name,
      migrationAt: spec.schedule.migrationAt,
      helpContact: spec.notifications.helpContact,
      oldServerName: spec.host1.host,
      waitBeforeCalling: '30 minutes',
      workflowId,
      namespace,
      ...data,
    },
    idempotencyKey: `${workflowId}/${notice}/${n}`,
  });
  run.audit.push({ at: new Date().toISOString(), kind: 'notice', notice, to: to.length });
}
