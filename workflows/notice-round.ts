// Notices to many users in child workflows, as the mailbox rounds run: a page of messages
// per child, sent a few at once. The runbook's own history then grows by a few events per
// page, not per user (hand-over sends one message to each user).
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { SendNoticeInput } from '../activities/notify/schema';
import { act } from './runbook-activities';

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
