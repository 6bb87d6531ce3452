// The contract of the notification activity, as zod schemas the workflow spec can reuse
// (workflows/spec.ts's `notifications.smtp` has the same shape as `smtpSettings`).
// Secrets appear only as references (`env:NAME`, `file:/path`), resolved inside the
// activity: nothing here ever holds a password, token or secret webhook URL.
import { z } from 'zod';

/** A secret by reference: `env:NAME` or `file:/absolute/path` (same rule as workflows/spec.ts). */
export const secretRef = z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
  message: 'must be a secret reference: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)',
});

/** Every message the runbook sends; each has a template file `templates/<kind>.txt`. */
export const noticeKind = z.enum([
  // users (plain words: they are not mail administrators)
  'users-advance',
  'users-advance-lucky',
  'users-advance-mx-first',
  'users-cutover',
  'users-cutover-early',
  'users-old-server-gone',
  'users-new-credentials',
  'users-mail-app-redownload',
  'users-done',
  'users-rollback',
  // approvers (the people who pass gates)
  'approver-gate-waiting',
  'approver-gate-reminder',
  'approver-rollback-done',
  'approver-failure',
]);
export type NoticeKind = z.infer<typeof noticeKind>;
export const NOTICE_KINDS: readonly NoticeKind[] = noticeKind.options;

/** Placeholder values: text, a number, or a list (rendered one item a line). */
export const noticeValue = z.union([z.string(), z.number(), z.array(z.string())]);
export const noticeData = z.record(z.string(), noticeValue);
export type NoticeValue = z.infer<typeof noticeValue>;
export type NoticeData = z.infer<typeof noticeData>;

/** The SMTP relay notices go through (= workflows/spec.ts `notifications.smtp`). */
export const smtpSettings = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** `implicit`: TLS from the first byte (465); `starttls`: required upgrade (587); `none`: plain text. */
  tls: z.enum(['implicit', 'starttls', 'none']).default('starttls'),
  /** Off only for a relay with a self-signed certificate you trust. */
  verifyCertificate: z.boolean().default(true),
  user: z.string().min(1).optional(),
  credential: secretRef.optional(),
});
export type SmtpSettings = z.output<typeof smtpSettings>;
export type SmtpSettingsInput = z.input<typeof smtpSettings>;

/**
 * Where approvers' chat messages go. A Slack incoming-webhook URL is itself a secret:
 * give it by reference (`env:SLACK_WEBHOOK_URL`); a plain URL is for endpoints that
 * authenticate with the bearer `token` (also by reference).
 */
export const webhookTarget = z.strictObject({
  url: z.union([z.url({ protocol: /^https?$/ }), secretRef]),
  /** Post `{ "text": "…" }` (Slack, Mattermost, Rocket.Chat, Teams workflows). */
  slack: z.boolean().default(false),
  token: secretRef.optional(),
  timeoutSeconds: z.number().int().min(1).max(300).default(30),
});
export type WebhookTarget = z.output<typeof webhookTarget>;

export const sendNoticeInput = z
  .strictObject({
    notice: noticeKind,
    /** Email recipients; several users get one message with the addresses hidden (Bcc). */
    to: z.array(z.email()).default([]),
    data: noticeData.default({}),
    from: z.email(),
    smtp: smtpSettings.optional(),
    /**
     * Stable for one logical notice (e.g. `<workflowId>/cutover/users-cutover/wave-1`):
     * retries with the same key never send twice, and the Message-ID derives from it.
     */
    idempotencyKey: z.string().min(1).max(1000),
    webhook: webhookTarget.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.to.length === 0 && !v.webhook) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a notice needs recipients or a webhook' });
    if (v.to.length > 0 && !v.smtp) ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'email recipients need the SMTP relay settings' });
    if (v.smtp && !v.smtp.user !== !v.smtp.credential) {
      ctx.addIssue({ code: 'custom', path: ['smtp', 'credential'], message: 'SMTP authentication needs both user and credential' });
    }
  });
export type SendNoticeInput = z.input<typeof sendNoticeInput>;

export type ChannelOutcome = 'sent' | 'already-sent' | 'not-requested';

export interface SendNoticeResult {
  notice: NoticeKind;
  idempotencyKey: string;
  messageId: string;
  subject: string;
  email: ChannelOutcome;
  /** Recipients the relay accepted / refused (refused ones are not retried: see send-notice.ts). */
  accepted: string[];
  rejected: string[];
  webhook: ChannelOutcome;
  /** Which template file was used (an operator's override or the built-in one). */
  template: string;
}
