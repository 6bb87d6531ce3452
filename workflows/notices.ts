// Notices to users and approvers: what each gate means, who is told, and the data every
// notice template gets (activities/notify renders and sends them).
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { NoticeKind } from '../activities/notify/schema';
import { cutoverDeadline, finalSyncEstimateMs, inZoneOf, spokenDuration } from './estimate';
import { mailboxesOf, pages } from './mailbox-pages';
import { contactMessages, credentialMessages, noticeInputs, type NoticeMessage, type NoticeOrigin } from './notice-messages';
import { noticePage, sendInRounds, type NoticePage } from './notice-round';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';

export async function notifyUsers(run: Runbook, notice: NoticeKind, users: string[], data: Record<string, string> = {}): Promise<void> {
  if (run.spec.listed) return sendByPages(run, { notice, kind: 'contacts', users, data });
  await send(run, notice, contactMessages(await mailboxesOf(run.spec, users), data));
}

/** The new credentials triplet, one message per user: host name, user, where the password is. */
export async function notifyNewCredentials(run: Runbook, users: string[]): Promise<void> {
  if (run.spec.listed) return sendByPages(run, { notice: 'users-new-credentials', kind: 'credentials', users, data: {} });
  await send(run, 'users-new-credentials', credentialMessages(run.spec, await mailboxesOf(run.spec, users)));
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
async function send(run: Runbook, notice: NoticeKind, messages: NoticeMessage[]): Promise<void> {
  if (!messages.length) return;
  const n = run.audit.count('notice');
  const origin = noticeOrigin();
  const key = `${origin.workflowId}/${notice}/${n}`;
  const inputs = noticeInputs(run.spec, notice, messages, origin, (i) => (messages.length === 1 ? key : `${key}/${i + 1}`));
  if (inputs.length === 1) await act.sendNotice(inputs[0]);
  else await sendInRounds(`${notice}-${n}`, inputs);
  run.audit.push({ at: new Date().toISOString(), kind: 'notice', notice, to: messages.reduce((sum, m) => sum + m.to.length, 0) });
}

/** A notice to the users of a mailbox list (spec mailboxList): each child reads its page of the list and sends. */
async function sendByPages(run: Runbook, o: Pick<NoticePage, 'notice' | 'kind' | 'users' | 'data'>): Promise<void> {
  const n = run.audit.count('notice');
  const origin = noticeOrigin();
  let to = 0;
  for (const [i, users] of pages(o.users).entries()) {
    const page = `${o.notice}-${n}-${i + 1}`;
    to += await executeChild(noticePage, {
      workflowId: `${origin.workflowId}/${page}`,
      args: [{ ...o, spec: run.spec, users, origin, key: `${origin.workflowId}/${page}` }],
    });
  }
  run.audit.push({ at: new Date().toISOString(), kind: 'notice', notice: o.notice, to });
}

const noticeOrigin = (): NoticeOrigin => {
  const { workflowId, namespace } = workflowInfo();
  return { workflowId, namespace };
};
