// Notices to users and approvers: what each gate means, who is told, and the data every
// notice template gets (activities/notify renders and sends them).
import { workflowInfo } from '@temporalio/workflow';
import type { NoticeKind } from '../activities/notify/schema';
import { cutoverDeadline, finalSyncEstimateMs, inZoneOf, spokenDuration } from './estimate';
import { sendInRounds } from './notice-round';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';

/** Users per message of a notice to many (in Bcc: they do not see each other); relays cap recipients per message. */
const RECIPIENTS_PER_MESSAGE = 200;

export async function notifyUsers(run: Runbook, notice: NoticeKind, users: string[], data: Record<string, string> = {}): Promise<void> {
  const contacts = new Map(run.spec.mailboxes.map((m) => [m.source.user, m.contact]));
  const to = users.map((u) => contacts.get(u)).filter((c): c is string => !!c);
  const messages = [];
  for (let i = 0; i < to.length; i += RECIPIENTS_PER_MESSAGE) messages.push({ to: to.slice(i, i + RECIPIENTS_PER_MESSAGE), data });
  await send(run, notice, messages);
}

/** The new credentials triplet, one message per user: host name, user, where the password is. */
export async function notifyNewCredentials(run: Runbook, users: string[]): Promise<void> {
  const given = new Set(users);
  const messages = run.spec.mailboxes
    .filter((m) => given.has(m.source.user) && m.contact)
    .map((m) => {
      const server = m.destination.server ?? run.spec.host2;
      const data = {
        user: m.destination.user,
        imapHost: server.host,
        imapPort: String(server.port),
        imapSecurity: { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' }[server.tls],
        passwordInstructions: run.spec.notifications.passwordInstructions,
      };
      return { to: [m.contact!], data };
    });
  await send(run, 'users-new-credentials', messages);
}

/**
 * The cut-over notice's figures, from the last pre-sync. None before one was measured:
 * the template then refuses to render rather than send an invented duration.
 */
export function cutoverTimes(run: Runbook, o: { deadline: boolean } = { deadline: true }): Record<string, string> {
  const estimate = finalSyncEstimateMs(run.rounds);
  if (estimate === undefined) return {};
  if (!o.deadline) return { expectedDuration: spokenDuration(estimate) };
  const deadline = cutoverDeadline(Date.now(), estimate, run.spec.dns.lowTtl);
  return { expectedDuration: spokenDuration(estimate), expectedEnd: inZoneOf(deadline, run.spec.schedule.migrationAt) };
}

export async function notifyApprovers(run: Runbook, notice: NoticeKind, data: Record<string, string> = {}): Promise<void> {
  const to = run.spec.notifications.approverEmails;
  if (to.length) await send(run, notice, [{ to, data: { approvers: run.spec.approvals.approvers.join(', '), ...data } }]);
}

/**
 * One notice, as one message or many (each with its own idempotency key): many go out in
 * child workflows (notice-round.ts), so the runbook's history does not grow per user.
 */
async function send(run: Runbook, notice: NoticeKind, messages: { to: string[]; data: Record<string, string> }[]): Promise<void> {
  if (!messages.length) return;
  const { spec } = run;
  const n = run.audit.count('notice');
  const { workflowId, namespace } = workflowInfo();
  const inputs = messages.map(({ to, data }, i) => ({
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
    idempotencyKey: messages.length === 1 ? `${workflowId}/${notice}/${n}` : `${workflowId}/${notice}/${n}/${i + 1}`,
  }));
  if (inputs.length === 1) await act.sendNotice(inputs[0]);
  else await sendInRounds(`${notice}-${n}`, inputs);
  run.audit.push({ at: new Date().toISOString(), kind: 'notice', notice, to: messages.reduce((sum, m) => sum + m.to.length, 0) });
}
