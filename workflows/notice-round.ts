// Notices to many users in child workflows, as the mailbox rounds run: a page of messages
// per child, sent a few at once. The runbook's own history then grows by a few events per
// page, not per user (hand-over sends one message to each user).
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { NoticeKind, SendNoticeInput } from '../activities/notify/schema';
import { mailboxesOf } from './mailbox-pages';
import { contactMessages, credentialMessages, noticeInputs, type NoticeOrigin } from './notice-messages';
import { act } from './runbook-activities';
import type { MigrationSpec } from './spec';

/** Messages per child workflow: about three history events each, and its input well under the payload budget. */
export const NOTICES_PER_ROUND = 500;
/** Messages sent at once within a round (an SMTP relay takes a few connections well). */
const AT_ONCE = 5;

/** Sends each message (an activity with its own idempotency key); returns how many recipients. */
export async function noticeRound(messages: SendNoticeInput[]): Promise<number> {
  let next = 0;
  let recipients = 0;
  const lane = async () => {
    while (next < messages.length) {
      const m = messages[next++];
      await act.sendNotice(m);
      recipients += m.to?.length ?? 0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, messages.length) }, lane));
  return recipients;
}

/** Sends `messages` in pages of NOTICES_PER_ROUND, one child workflow per page, one page after the other. */
export async function sendInRounds(name: string, messages: SendNoticeInput[]): Promise<void> {
  for (let page = 0; page * NOTICES_PER_ROUND < messages.length; page++) {
    await executeChild(noticeRound, {
      workflowId: `${workflowInfo().workflowId}/${name}-${page + 1}`,
      args: [messages.slice(page * NOTICES_PER_ROUND, (page + 1) * NOTICES_PER_ROUND)],
    });
  }
}

/** A page of a mailbox list's users to tell (spec mailboxList): the child reads their contacts itself. */
export interface NoticePage {
  spec: MigrationSpec;
  notice: NoticeKind;
  /** contacts: one notice in Bcc pages; credentials: each user's own message. */
  kind: 'contacts' | 'credentials';
  users: string[];
  data: Record<string, string>;
  origin: NoticeOrigin;
  /** The page's idempotency key; each message adds its number. */
  key: string;
}

/** Reads the page's mailboxes from the list, then sends their messages like a notice round; returns how many recipients. */
export async function noticePage(p: NoticePage): Promise<number> {
  const mailboxes = await mailboxesOf(p.spec, p.users);
  const messages = p.kind === 'credentials' ? credentialMessages(p.spec, mailboxes) : contactMessages(mailboxes, p.data);
  return noticeRound(noticeInputs(p.spec, p.notice, messages, p.origin, (i) => `${p.key}/${i + 1}`));
}
