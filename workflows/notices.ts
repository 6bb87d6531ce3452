// Notices to users and approvers: what each gate means, who is told, and the data every
// notice template gets (activities/notify renders and sends them).
import { workflowInfo } from '@temporalio/workflow';
import type { NoticeKind } from '../activities/notify/schema';
import { cutoverDeadline, finalSyncEstimateMs, inZoneOf, spokenDuration } from './estimate';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';

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
