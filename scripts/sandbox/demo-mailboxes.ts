// Demo mailboxes for the sandbox: a few users on host1 with the kind of mail a real
// office has (threads, a newsletter, an attachment, a non-ASCII folder and subject, a
// message without Message-ID, flags and keywords), and empty accounts on host2.
import { ImapFlow } from 'imapflow';

export const demoUsers = ['alice', 'bob', 'carol'] as const;

interface DemoMessage {
  folder: string[]; // path segments, translated to the server's separator and prefix
  flags: string[];
  daysAgo: number;
  raw: (user: string, date: Date) => string;
}

const domain = 'example.test';
const fmt = (d: Date) => d.toUTCString().replace('GMT', '+0000');

const plain = (o: { from: string; to: string; subject: string; body: string; id?: string; inReplyTo?: string }) => (date: Date) =>
  [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${fmt(date)}`,
    ...(o.id ? [`Message-ID: <${o.id}@${domain}>`] : []),
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}@${domain}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body,
    '',
  ].join('\r\n');

const messages: DemoMessage[] = [
  {
    folder: ['INBOX'],
    flags: ['\\Seen'],
    daysAgo: 40,
    raw: (u, d) =>
      plain({
        from: `IT Desk <it@${domain}>`,
        to: `${u}@${domain}`,
        subject: 'Your mailbox moves to the new server next month',
        id: `it-notice-${u}`,
        body: 'Hello,\n\nWe will move every mailbox to the new mail server next month.\nYou will receive the details a week before.\n\nThe IT desk',
      })(d),
  },
  {
    folder: ['INBOX'],
    flags: ['\\Seen', '\\Flagged'],
    daysAgo: 12,
    raw: (u, d) =>
      plain({
        from: `Dana Project <dana@${domain}>`,
        to: `${u}@${domain}`,
        subject: 'Budget 2027 — draft for review',
        id: `budget-${u}`,
        body: 'Hi,\n\nattached is the draft. Could you review the travel lines before Friday?\n\nDana',
      })(d),
  },
  {
    folder: ['INBOX'],
    flags: [],
    daysAgo: 1,
    raw: (u, d) =>
      plain({
        from: `Dana Project <dana@${domain}>`,
        to: `${u}@${domain}`,
        subject: 'Re: Budget 2027 — draft for review',
        id: `budget-re-${u}`,
        inReplyTo: `budget-${u}`,
        body: 'One more thing: the numbers on page 3 changed.\n\nDana',
      })(d),
  },
  {
    folder: ['INBOX'],
    flags: ['$Label1'],
    daysAgo: 3,
    raw: (u, d) =>
      [
        `From: Newsletter <news@lists.${domain}>`,
        `To: ${u}@${domain}`,
        'Subject: =?UTF-8?Q?Caf=C3=A9_news_=E2=80=94_week_47?=',
        `Date: ${fmt(d)}`,
        `Message-ID: <news-2026-47-${u}@lists.${domain}>`,
        'List-Id: <news.lists.example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'This week: the café reopens, and the new printers.',
        '',
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>This week: the <b>café</b> reopens, and the new printers.</p>',
        '',
        '--b1--',
        '',
      ].join('\r\n'),
  },
  {
    folder: ['INBOX'],
    flags: ['\\Seen'],
    daysAgo: 20,
    // An old system mail with no Message-ID: mailshift must copy it exactly once.
    raw: (u, d) =>
      [`From: cron@${domain}`, `To: ${u}@${domain}`, 'Subject: Backup report', `Date: ${fmt(d)}`, '', 'Backup finished: 0 errors.', ''].join('\r\n'),
  },
  {
    folder: ['Sent'],
    flags: ['\\Seen'],
    daysAgo: 11,
    raw: (u, d) =>
      plain({
        from: `${u}@${domain}`,
        to: `Dana Project <dana@${domain}>`,
        subject: 'Re: Budget 2027 — draft for review',
        id: `sent-budget-${u}`,
        inReplyTo: `budget-${u}`,
        body: 'Done, see my comments inline.',
      })(d),
  },
  {
    folder: ['Archive', '2024'],
    flags: ['\\Seen', 'Project-X'],
    daysAgo: 400,
    raw: (u, d) =>
      [
        `From: Legal <legal@${domain}>`,
        `To: ${u}@${domain}`,
        'Subject: Signed contract',
        `Date: ${fmt(d)}`,
        `Message-ID: <contract-${u}@${domain}>`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="m1"',
        '',
        '--m1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The signed contract is attached.',
        '',
        '--m1',
        'Content-Type: application/pdf; name="contract.pdf"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="contract.pdf"',
        '',
        Buffer.from('%PDF-1.4\n% demo contract\n'.repeat(400)).toString('base64').replace(/.{76}/g, '$&\r\n'),
        '',
        '--m1--',
        '',
      ].join('\r\n'),
  },
  {
    folder: ['Projets', 'Été 2026'],
    flags: ['\\Seen'],
    daysAgo: 30,
    raw: (u, d) =>
      plain({
        from: `Team <team@${domain}>`,
        to: `${u}@${domain}`,
        subject: 'Summer plan',
        id: `summer-${u}`,
        body: 'Plans for the summer: see the shared folder.',
      })(d),
  },
];

export interface DemoServer {
  host: string;
  port: number;
  /** host1 uses `INBOX.` and `.`; host2 `/` and no prefix. */
  layout: 'inbox-prefix-dot' | 'slash-no-prefix';
}

function folderPath(segments: string[], layout: DemoServer['layout']): string {
  if (segments[0] === 'INBOX') return 'INBOX';
  return layout === 'inbox-prefix-dot' ? `INBOX.${segments.join('.')}` : segments.join('/');
}

/** Appends the demo messages to one user's mailbox; returns how many. */
export async function seedDemoMailbox(server: DemoServer, user: string, password: string, now = new Date()): Promise<number> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    for (const m of messages) {
      const path = folderPath(m.folder, server.layout);
      if (path !== 'INBOX') await client.mailboxCreate(path).catch(() => undefined); // exists already: fine
      const date = new Date(now.getTime() - m.daysAgo * 86_400_000);
      await client.append(path, m.raw(user, date), m.flags, date);
    }
    return messages.length;
  } finally {
    await client.logout();
  }
}
