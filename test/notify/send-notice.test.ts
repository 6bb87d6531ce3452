// Sending notices through a real SMTP receiver (npm smtp-server on loopback): the right
// recipients, subject and body; a stable Message-ID per idempotency key; a retried
// attempt (heartbeat details) that does not send again; no password ever in a message.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { startSmtpReceiver, type SmtpReceiver } from '../../scripts/servers/smtp';
import { sendNotice } from '../../activities/notify/send-notice';
import { noticeMessageId } from '../../activities/notify/idempotency';
import type { SendNoticeInput, SendNoticeResult } from '../../activities/notify/schema';
import { noticeFixtures } from './fixtures';

let smtp: SmtpReceiver;
let dir: string;
let hook: Server;
let hookUrl: string;
let hookStatus = 200;
const hookBodies: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-notify-'));
  smtp = await startSmtpReceiver();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (hookStatus === 200) hookBodies.push(JSON.parse(body));
      res.writeHead(hookStatus).end(hookStatus === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await smtp?.close();
  await new Promise((r) => hook?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

// Activity failures are expected here: keep the mock's log quiet.
const quiet = { logger: new DefaultLogger('ERROR') };
let seq = 0;
const key = (what: string) => `test-${process.pid}-${++seq}/${what}`;
const relay = () => ({ host: smtp.host, port: smtp.port, tls: 'none' as const });
const since = (n: number) => smtp.received.slice(n);

describe('email through a real SMTP receiver', () => {
  it('one users notice reaches every user, addresses hidden from each other', async () => {
    const before = smtp.received.length;
    const idempotencyKey = key('advance');
    const result = await sendNotice({
      notice: 'users-advance',
      to: ['alice@example.org', 'bob@example.org', 'Alice@example.org'],
      data: noticeFixtures['users-advance'],
      from: 'it-desk@example.org',
      smtp: relay(),
      idempotencyKey,
    });
    expect(result).toMatchObject({ email: 'sent', webhook: 'not-requested', messageId: noticeMessageId(idempotencyKey) });
    expect(result.accepted.sort()).toEqual(['alice@example.org', 'bob@example.org']);
    const [mail, ...more] = await smtp.waitForCount(before + 1).then(() => since(before));
    expect(more).toHaveLength(0);
    expect(mail.envelope.to.sort()).toEqual(['alice@example.org', 'bob@example.org']);
    expect(mail.envelope.from).toBe('it-desk@example.org');
    // Bcc: the To header shows the sender only.
    expect(mail.parsed.headers.get('to')).toMatchObject({ text: 'it-desk@example.org' });
    expect(mail.parsed.subject).toBe('Your email is moving to a new server on Saturday 5 December 2026 at 22:00 (UTC+01:00)');
    expect(mail.parsed.text).toContain('we send you a message asking you to stop using your');
    expect(mail.parsed.messageId).toBe(noticeMessageId(idempotencyKey));
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.parsed.headers.get('x-mailshift-notice')).toBe('users-advance');
  });

  it('approvers see each other in To:', async () => {
    const before = smtp.received.length;
    await sendNotice({
      notice: 'approver-gate-waiting',
      to: ['carol@example.org', 'dave@example.org'],
      data: noticeFixtures['approver-gate-waiting'],
      from: 'mailshift@example.org',
      smtp: relay(),
      idempotencyKey: key('gate'),
    });
    const [mail] = await smtp.waitForCount(before + 1).then(() => since(before));
    expect(mail.parsed.headers.get('to')).toMatchObject({ text: 'carol@example.org, dave@example.org' });
    expect(mail.parsed.subject).toBe('[mailshift] acme-2026: the "cutover" gate of wave friendly-users is waiting for your approval');
    expect(mail.parsed.text).toContain('"gate":"cutover"');
  });

  it('the same idempotency key always gives the same Message-ID, another key another one', async () => {
    const before = smtp.received.length;
    const k = key('same');
    const input: SendNoticeInput = {
      notice: 'users-done',
      to: ['alice@example.org'],
      data: { helpContact: 'x' },
      from: 'it@example.org',
      smtp: relay(),
      idempotencyKey: k,
    };
    // Outside an activity nothing remembers the first send: both go out, as one message to
    // any receiver that deduplicates by Message-ID.
    await sendNotice(input);
    await sendNotice(input);
    await sendNotice({ ...input, idempotencyKey: key('other') });
    const mails = await smtp.waitForCount(before + 3).then(() => since(before));
    expect(mails.map((m) => m.parsed.messageId)).toEqual([noticeMessageId(k), noticeMessageId(k), noticeMessageId(`test-${process.pid}-${seq}/other`)]);
    expect(noticeMessageId(k)).toMatch(/^<[0-9a-f]{64}@mailshift>$/);
    expect(noticeMessageId(k)).not.toBe(mails[2].parsed.messageId);
  });

  it('an operator template from MAILSHIFT_TEMPLATES_DIR is what users receive', async () => {
    const templates = mkdtempSync(path.join(dir, 'templates-'));
    writeFileSync(path.join(templates, 'users-done.txt'), 'Subject: ACME: your mail has moved\n\nAll done. Questions: {{helpContact}}\n');
    const before = smtp.received.length;
    process.env.MAILSHIFT_TEMPLATES_DIR = templates;
    try {
      await sendNotice({
        notice: 'users-done',
        to: ['bob@example.org'],
        data: { helpContact: 'Eve, 1234' },
        from: 'it@example.org',
        smtp: relay(),
        idempotencyKey: key('override'),
      });
    } finally {
      delete process.env.MAILSHIFT_TEMPLATES_DIR;
    }
    const [mail] = await smtp.waitForCount(before + 1).then(() => since(before));
    expect(mail.parsed.subject).toBe('ACME: your mail has moved');
    expect(mail.parsed.text?.trim()).toBe('All done. Questions: Eve, 1234');
  });

  it('a missing placeholder fails for good, naming it, and sends nothing', async () => {
    const before = smtp.received.length;
    const err = await sendNotice({
      notice: 'users-cutover',
      to: ['a@example.org'],
      data: { helpContact: 'x' },
      from: 'it@example.org',
      smtp: relay(),
      idempotencyKey: key('missing'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'TemplateError', nonRetryable: true });
    expect((err as Error).message).toMatch(/\{\{expectedDuration\}\}, \{\{expectedEnd\}\}/);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.length).toBe(before);
  });

  it('the credentials notice never contains the password', async () => {
    // The mailbox's new password, as the worker holds it: never given to the notice.
    const password = 'Tr0ub4dor&3-new-host2';
    const before = smtp.received.length;
    await sendNotice({
      notice: 'users-new-credentials',
      to: ['alice.home@example.net'],
      data: noticeFixtures['users-new-credentials'],
      from: 'it@example.org',
      smtp: relay(),
      idempotencyKey: key('credentials'),
    });
    const [mail] = await smtp.waitForCount(before + 1).then(() => since(before));
    expect(mail.raw.toString()).not.toContain(password);
    expect(mail.parsed.text).toMatch(/Server name:\s+imap\.example\.org/);
    expect(mail.parsed.text).toMatch(/User name:\s+alice@example\.org/);
    expect(mail.parsed.text).toContain('Your IT desk will give you your new password by phone.');
    // A password handed in as data is refused before anything is sent.
    const err = await sendNotice({
      notice: 'users-new-credentials',
      to: ['alice.home@example.net'],
      data: { ...noticeFixtures['users-new-credentials'], password },
      from: 'it@example.org',
      smtp: relay(),
      idempotencyKey: key('credentials-bad'),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'TemplateError', nonRetryable: true });
    expect((err as Error).message).not.toContain(password);
    expect(smtp.received.length).toBe(before + 1);
  });

  it('refuses input with neither recipients nor webhook, or recipients without a relay', async () => {
    await expect(sendNotice({ notice: 'users-done', data: { helpContact: 'x' }, from: 'it@example.org', idempotencyKey: 'k' })).rejects.toMatchObject({
      type: 'InvalidNotice',
      message: expect.stringMatching(/needs recipients or a webhook/),
    });
    await expect(
      sendNotice({ notice: 'users-done', to: ['a@example.org'], data: { helpContact: 'x' }, from: 'it@example.org', idempotencyKey: 'k' }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/smtp: email recipients need the SMTP relay settings/),
    });
  });
});

describe('a retried attempt', () => {
  it('skips the email the failed attempt already sent, and sends what it did not', async () => {
    const before = smtp.received.length;
    const hooksBefore = hookBodies.length;
    const input: SendNoticeInput = {
      notice: 'approver-gate-reminder',
      to: ['carol@example.org'],
      data: noticeFixtures['approver-gate-reminder'],
      from: 'mailshift@example.org',
      smtp: relay(),
      idempotencyKey: key('retry'),
      webhook: { url: hookUrl },
    };
    // Attempt 1: the email goes out, then the webhook answers 503 and the attempt fails.
    hookStatus = 503;
    const first = new MockActivityEnvironment({ attempt: 1 }, quiet);
    const beats: unknown[] = [];
    first.on('heartbeat', (d: unknown) => beats.push(d));
    await expect(first.run(sendNotice, input)).rejects.toMatchObject({ type: 'WebhookUnavailable', nonRetryable: false });
    await smtp.waitForCount(before + 1);
    expect(beats.at(-1)).toEqual({ idempotencyKey: input.idempotencyKey, sent: ['email'], accepted: ['carol@example.org'], rejected: [] });

    // Attempt 2 gets attempt 1's last heartbeat, as Temporal hands it over.
    hookStatus = 200;
    const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: beats.at(-1) }, quiet);
    const result = (await second.run(sendNotice, input)) as SendNoticeResult;
    expect(result).toMatchObject({ email: 'already-sent', webhook: 'sent', accepted: ['carol@example.org'] });
    expect(hookBodies.length).toBe(hooksBefore + 1);

    // Attempt 3 (say, the result was lost): nothing at all is sent again.
    const third = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: { idempotencyKey: input.idempotencyKey, sent: ['email', 'webhook'] } }, quiet);
    expect(await third.run(sendNotice, input)).toMatchObject({ email: 'already-sent', webhook: 'already-sent' });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.length).toBe(before + 1);
    expect(hookBodies.length).toBe(hooksBefore + 1);
  });

  it('does not trust heartbeat details of another notice', async () => {
    const before = smtp.received.length;
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { idempotencyKey: 'some/other/notice', sent: ['email'] } }, quiet);
    const input: SendNoticeInput = {
      notice: 'users-done',
      to: ['a@example.org'],
      data: { helpContact: 'x' },
      from: 'it@example.org',
      smtp: relay(),
      idempotencyKey: key('mine'),
    };
    const result = (await env.run(sendNotice, input)) as SendNoticeResult;
    expect(result.email).toBe('sent');
    await smtp.waitForCount(before + 1);
  });
});
