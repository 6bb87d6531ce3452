// Email through the operator's SMTP relay with nodemailer: implicit TLS (465), required
// STARTTLS (587) or plain (loopback/test relays only), certificates verified unless the
// spec says otherwise, and the relay's password read from its reference here, never
// passed in. Errors are rebuilt from scratch (code, reply, a scrubbed message) so that
// nothing nodemailer attaches to them can carry the secret into Temporal's history.
import nodemailer from 'nodemailer';
import { ApplicationFailure } from '@temporalio/activity';
import { resolveSecret } from '../credentials';
import type { NoticeKind, SmtpSettings } from './schema';

export interface EmailMessage {
  notice: NoticeKind;
  from: string;
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  /** One message to many users: addresses go in the envelope only (Bcc), not in To:. */
  hideRecipients: boolean;
}

export interface EmailResult {
  accepted: string[];
  rejected: string[];
}

export async function sendEmail(smtp: SmtpSettings, message: EmailMessage): Promise<EmailResult> {
  const secret = smtp.credential ? await resolveSecret(smtp.credential) : undefined;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls', // refuse to send if the relay does not offer STARTTLS
    ignoreTLS: smtp.tls === 'none',
    tls: { rejectUnauthorized: smtp.verifyCertificate },
    ...(smtp.user && secret !== undefined && { auth: { user: smtp.user, pass: secret } }),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({
      from: message.from,
      to: message.hideRecipients ? message.from : message.to,
      envelope: { from: message.from, to: message.to },
      subject: message.subject,
      text: message.text,
      messageId: message.messageId,
      headers: {
        // Tells vacation responders and mailing lists not to answer a machine.
        'Auto-Submitted': 'auto-generated',
        'X-Mailshift-Notice': message.notice,
      },
    });
    const addr = (a: string | { address: string }) => (typeof a === 'string' ? a : a.address);
    return { accepted: info.accepted.map(addr), rejected: info.rejected.map(addr) };
  } catch (err) {
    throw smtpFailure(err, smtp, secret);
  } finally {
    transport.close();
  }
}

const CERT_PROBLEM = /self[- ]signed|certificate|unable to verify|altname|CERT_|DEPTH_ZERO/i;

function smtpFailure(err: unknown, smtp: SmtpSettings, secret: string | undefined): ApplicationFailure {
  const e = (err ?? {}) as { code?: string; responseCode?: number; message?: string; cause?: { code?: string; message?: string } };
  const where = `SMTP relay ${smtp.host}:${smtp.port} (${smtp.tls})`;
  const detail = scrub(`${e.message ?? String(err)}${e.cause?.message ? ` (${e.cause.message})` : ''}`, smtp.user, secret);
  const text = `${detail} ${e.code ?? ''} ${e.cause?.code ?? ''}`;
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return ApplicationFailure.create({ type: 'SmtpAuthFailed', nonRetryable: true, message: `${where} refused the login of "${smtp.user ?? ''}": ${detail}` });
  }
  if (smtp.tls !== 'none' && CERT_PROBLEM.test(text)) {
    return ApplicationFailure.create({
      type: 'SmtpCertificateRefused',
      nonRetryable: true,
      message: `${where}: its TLS certificate was not accepted: ${detail}. If you trust this relay's self-signed certificate, set notifications.smtp.verifyCertificate to false.`,
    });
  }
  if (e.code === 'ETLS') {
    return ApplicationFailure.create({ type: 'SmtpTlsFailed', nonRetryable: true, message: `${where}: TLS could not be set up: ${detail}` });
  }
  if (e.responseCode !== undefined && e.responseCode >= 500) {
    // A permanent refusal (unknown recipient, policy): retrying sends the same refusal.
    const hint = e.responseCode === 530 ? ' The relay wants a login: set notifications.smtp.user and credential.' : '';
    return ApplicationFailure.create({ type: 'SmtpRejected', nonRetryable: true, message: `${where} refused the message: ${detail}${hint}` });
  }
  return ApplicationFailure.create({ type: 'SmtpUnavailable', message: `${where}: ${detail}` });
}

/** Removes the password (and the base64 forms SMTP AUTH sends it in) from a text. */
function scrub(text: string, user: string | undefined, secret: string | undefined): string {
  if (!secret) return text;
  const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(`\0${user ?? ''}\0${secret}`).toString('base64')];
  return forms.reduce((t, f) => t.split(f).join('[redacted]'), text);
}
