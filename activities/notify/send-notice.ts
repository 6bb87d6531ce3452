// The notification activity: renders a notice from its template and sends it by email
// and/or to a webhook, at most once per idempotency key (see idempotency.ts for how,
// and for what is left to the receiving side's Message-ID deduplication).
import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import { sendEmail } from './email';
import { earlierProgress, noticeMessageId, recordSent } from './idempotency';
import { renderNotice, TemplateError, type RenderedNotice } from './render';
import { sendNoticeInput, type SendNoticeInput, type SendNoticeResult } from './schema';
import { postWebhook } from './webhook';

export async function sendNotice(input: SendNoticeInput): Promise<SendNoticeResult> {
  const parsed = sendNoticeInput.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw ApplicationFailure.nonRetryable(`invalid notice: ${problems.join('; ')}`, 'InvalidNotice');
  }
  const n = parsed.data;
  let rendered: RenderedNotice;
  try {
    rendered = await renderNotice(n.notice, n.data);
  } catch (err) {
    // A template or data mistake does not heal by retrying: say which, and stop.
    if (err instanceof TemplateError) throw ApplicationFailure.nonRetryable(err.message, 'TemplateError');
    throw err;
  }

  const messageId = noticeMessageId(n.idempotencyKey);
  const progress = earlierProgress(n.idempotencyKey);
  const result: SendNoticeResult = {
    notice: n.notice,
    idempotencyKey: n.idempotencyKey,
    messageId,
    subject: rendered.subject,
    email: 'not-requested',
    accepted: progress.accepted ?? [],
    rejected: progress.rejected ?? [],
    webhook: 'not-requested',
    template: rendered.source,
  };

  // The same address twice in the list still gets one message.
  const seen = new Set<string>();
  const to = n.to.filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
  if (to.length > 0) {
    if (progress.sent.includes('email')) {
      result.email = 'already-sent';
    } else {
      const sent = await sendEmail(n.smtp!, {
        notice: n.notice,
        from: n.from,
        to,
        subject: rendered.subject,
        text: rendered.text,
        messageId,
        hideRecipients: n.notice.startsWith('users-') && to.length > 1,
      });
      // Refused recipients are reported, not retried: a retry would resend to the others.
      Object.assign(result, { email: 'sent', accepted: sent.accepted, rejected: sent.rejected });
      progress.sent.push('email');
      progress.accepted = sent.accepted;
      progress.rejected = sent.rejected;
      recordSent(progress);
    }
  }

  if (n.webhook) {
    if (progress.sent.includes('webhook')) {
      result.webhook = 'already-sent';
    } else {
      await postWebhook(n.webhook, {
        notice: n.notice,
        subject: rendered.subject,
        text: rendered.text,
        messageId,
        idempotencyKey: n.idempotencyKey,
        data: n.data,
      });
      result.webhook = 'sent';
      progress.sent.push('webhook');
      recordSent(progress);
    }
  }
  // Counts and ids only: addresses are personal data, and logs travel far.
  asyncLocalStorage.getStore()?.log.info('notice', {
    notice: n.notice,
    messageId,
    email: result.email,
    recipients: to.length,
    rejected: result.rejected.length,
    webhook: result.webhook,
  });
  return result;
}
