// Approvers' chat: a JSON POST to a webhook. Either mailshift's own payload (notice,
// subject, text, Message-ID, idempotency key, data) or, for Slack-compatible incoming
// webhooks, `{ "text": "…" }`. The URL may itself be a secret (Slack's are), so it can be a
// reference; errors then name the reference, never the URL. Sent as every JSON POST is
// (post-json.ts: the idempotency key as a header, no redirects, a timeout).
import { ApplicationFailure } from '@temporalio/activity';
import { resolveSecret } from '../credentials';
import { permanentHttpStatus, sendJson } from '../post-json';
import type { NoticeData, NoticeKind, WebhookTarget } from './schema';

export interface WebhookNotice {
  notice: NoticeKind;
  subject: string;
  text: string;
  messageId: string;
  idempotencyKey: string;
  data: NoticeData;
}

const isRef = (url: string) => /^(env|file):/.test(url);

export function webhookPayload(target: Pick<WebhookTarget, 'slack'>, n: WebhookNotice): Record<string, unknown> {
  if (target.slack) return { text: `${n.subject}\n\n${n.text}` };
  return { notice: n.notice, subject: n.subject, text: n.text, messageId: n.messageId, idempotencyKey: n.idempotencyKey, data: n.data };
}

export async function postWebhook(target: WebhookTarget, n: WebhookNotice): Promise<void> {
  const url = isRef(target.url) ? (await resolveSecret(target.url)).trim() : target.url;
  const token = target.token ? await resolveSecret(target.token) : undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw ApplicationFailure.nonRetryable(`the webhook URL${isRef(target.url) ? ` in ${target.url}` : ''} is not a URL`, 'WebhookRejected');
  }
  if (!/^https?:$/.test(parsed.protocol)) throw ApplicationFailure.nonRetryable('the webhook URL must be http(s)', 'WebhookRejected');
  // Only the origin of a plain URL is shown: paths and queries often hold tokens.
  const where = isRef(target.url) ? `webhook (URL from ${target.url})` : `webhook ${parsed.origin}`;
  // Receivers echo the path back in error bodies; Slack's secret is the path.
  const secretPath = isRef(target.url) && parsed.pathname.length > 1 ? `${parsed.pathname}${parsed.search}` : undefined;
  const hide = (s: string) => [url, secretPath, token].reduce<string>((t, v) => (v ? t.split(v).join('[redacted]') : t), s);

  const res = await sendJson(url, webhookPayload(target, n), { token, idempotencyKey: n.idempotencyKey, timeoutSeconds: target.timeoutSeconds });
  if (!res.reached) throw ApplicationFailure.create({ type: 'WebhookUnavailable', message: hide(`${where} unreachable: ${res.why}`) });
  if (res.ok) return;
  const body = hide(res.body.slice(0, 300));
  const permanent = permanentHttpStatus(res.status);
  throw ApplicationFailure.create({
    type: permanent ? 'WebhookRejected' : 'WebhookUnavailable',
    nonRetryable: permanent,
    message: hide(`${where} answered HTTP ${res.status}${body ? `: ${body}` : ''}`),
  });
}
