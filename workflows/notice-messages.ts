// What a notice to users says and to whom, as pure functions of their mailboxes: the runbook
// builds the messages for a listed spec's users, a notice page (notice-round.ts) for a page of
// a mailbox list's users, the same way.
import type { SendNoticeInput, NoticeKind } from '../activities/notify/schema';
import type { Mailbox, MigrationSpec } from './spec';

/** Users per message of a notice to many (in Bcc: they do not see each other); relays cap recipients per message. */
const RECIPIENTS_PER_MESSAGE = 200;

export interface NoticeMessage {
  to: string[];
  data: Record<string, string>;
}

/** One notice to the users' contacts, in Bcc pages; users without a contact are not told. */
export function contactMessages(mailboxes: Mailbox[], data: Record<string, string>): NoticeMessage[] {
  const to = mailboxes.flatMap((m) => (m.contact ? [m.contact] : []));
  const messages = [];
  for (let i = 0; i < to.length; i += RECIPIENTS_PER_MESSAGE) messages.push({ to: to.slice(i, i + RECIPIENTS_PER_MESSAGE), data });
  return messages;
}

/** The new credentials triplet, one message per user: host name, user, where the password is. */
export function credentialMessages(spec: MigrationSpec, mailboxes: Mailbox[]): NoticeMessage[] {
  return mailboxes
    .filter((m) => m.contact)
    .map((m) => {
      const server = m.destination.server ?? spec.host2;
      const data = {
        user: m.destination.user,
        imapHost: server.host,
        imapPort: String(server.port),
        imapSecurity: { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' }[server.tls],
        passwordInstructions: spec.notifications.passwordInstructions,
      };
      return { to: [m.contact!], data };
    });
}

/** The migration a notice comes from, named in every notice. */
export interface NoticeOrigin {
  workflowId: string;
  namespace: string;
}

/** The activity inputs that send `messages`, each with its idempotency key. */
export function noticeInputs(
  spec: MigrationSpec,
  notice: NoticeKind,
  messages: NoticeMessage[],
  origin: NoticeOrigin,
  keyOf: (i: number) => string,
): SendNoticeInput[] {
  return messages.map(({ to, data }, i) => ({
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
      ...origin,
      ...data,
    },
    idempotencyKey: keyOf(i),
  }));
}
