// The notice templates: every kind renders from its data into plain words users can act
// on; a missing value is an error naming it; an operator's directory overrides texts.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { humanDateTime, loadTemplate, placeholders, renderNotice, TemplateError } from '../../activities/notify/render';
import { NOTICE_KINDS, type NoticeKind } from '../../activities/notify/schema';
import { noticeFixtures } from './fixtures';

const userKinds = NOTICE_KINDS.filter((k) => k.startsWith('users-'));
const approverKinds = NOTICE_KINDS.filter((k) => k.startsWith('approver-'));

// Words that mean nothing to a mail user, or that they cannot act on.
const JARGON =
  /\b(imap|smtp|mx|dns|ttl|tls|starttls|sync\w*|uid\w*|temporal|workflow|activity|host1|host2|gate|cache|server-side|dovecot|mailshift|rfc\s*\d+)\b/i;

let overrideDir: string;
beforeAll(() => {
  overrideDir = mkdtempSync(path.join(tmpdir(), 'mailshift-templates-'));
});
afterAll(() => rmSync(overrideDir, { recursive: true, force: true }));

describe('every template', () => {
  it.each(NOTICE_KINDS)('%s renders with its data, leaving no placeholder behind', async (kind) => {
    const n = await renderNotice(kind, noticeFixtures[kind]);
    expect(n.subject.length).toBeGreaterThan(10);
    expect(n.subject).not.toMatch(/[\r\n]/);
    for (const part of [n.subject, n.text]) {
      expect(part).not.toMatch(/\{\{|\}\}|undefined|NaN|\[object/);
    }
    // Every value given appears in the text (lists item by item).
    for (const name of placeholders(await loadTemplate(kind))) {
      const value = noticeFixtures[kind][name];
      if (value === undefined) continue; // derived (gateMeaning)
      const items = Array.isArray(value) ? value : [String(value)];
      for (const item of items) if (!/T\d\d:\d\d/.test(item)) expect(`${n.subject}\n${n.text}`).toContain(item);
    }
  });

  it.each(userKinds)('%s speaks plainly to users and says whom to ask', async (kind) => {
    const n = await renderNotice(kind, noticeFixtures[kind]);
    // The template's own words, without the operator's values (a host name may say "imap").
    let text = `${n.subject}\n${n.text}`;
    for (const v of Object.values(noticeFixtures[kind]).flat()) text = text.split(String(v)).join('');
    // The credentials notice must name the account type a mail program asks for.
    if (kind === 'users-new-credentials') text = text.replace(/Account type:\s+IMAP/, '');
    expect(text).not.toMatch(JARGON);
    expect(n.text).toContain(String(noticeFixtures[kind].helpContact));
  });

  it('tell users the date and time in words, in the zone the operator wrote', async () => {
    expect(humanDateTime('2026-12-05T22:00:00+01:00')).toBe('Saturday 5 December 2026 at 22:00 (UTC+01:00)');
    expect(humanDateTime('2027-01-01T08:30:00Z')).toBe('Friday 1 January 2027 at 08:30 (UTC)');
    const n = await renderNotice('users-advance', noticeFixtures['users-advance']);
    expect(n.subject).toBe('Your email is moving to a new server on Saturday 5 December 2026 at 22:00 (UTC+01:00)');
    expect(() => humanDateTime('next Saturday')).toThrow(TemplateError);
  });

  it('the advance notices give no duration: nothing is measured when they go out', async () => {
    for (const kind of ['users-advance', 'users-advance-lucky'] as NoticeKind[]) {
      expect(placeholders(await loadTemplate(kind))).not.toContain('expectedDuration');
      const { text } = await renderNotice(kind, noticeFixtures[kind]);
      expect(text).not.toMatch(/about|a few/);
      expect(text).toMatch(/saying for how long \(we measure it before the move\)/);
    }
  });

  it('the mx-first advance notice says new mail moves at once and old mail follows over days, with no time without email', async () => {
    const { subject, text } = await renderNotice('users-advance-mx-first', noticeFixtures['users-advance-mx-first']);
    expect(subject).toBe('Your email is moving to a new server on Saturday 5 December 2026 at 22:00 (UTC+01:00)');
    expect(text).toMatch(/new mail starts arriving in your new mailbox/);
    expect(text).toMatch(/appear in it little by little, over the following hours or days/);
    expect(text).toMatch(/you can still read them in\s+your old mailbox/);
    expect(text).toMatch(/You do not have to stop using your\s+email/);
    expect(text).not.toMatch(/cannot read or send/);
  });

  it('the cut-over notice gives the measured duration and by when users should hear from us', async () => {
    const { text } = await renderNotice('users-cutover', noticeFixtures['users-cutover']);
    expect(text).toMatch(/This takes about\s+2 hours\./);
    expect(text).toMatch(/If you have not heard from us by Sunday 6 December 2026 at 00:00 \(UTC\+01:00\), please contact/);
  });

  it('the old-server notice says what is true: not in use any more, the new settings already sent', async () => {
    const n = await renderNotice('users-old-server-gone', noticeFixtures['users-old-server-gone']);
    expect(n.subject).toBe('Your old mail server is no longer in use');
    expect(`${n.subject}\n${n.text}`).not.toMatch(/switched off|shut down|no longer available/);
    expect(n.text).toMatch(/from the message "Your new email\s+settings" that we sent you/);
  });

  it("approvers' gate notices name a per-wave gate with its wave", async () => {
    const waiting = await renderNotice('approver-gate-waiting', noticeFixtures['approver-gate-waiting']);
    expect(waiting.subject).toBe('[mailshift] acme-2026: the "cutover" gate of wave friendly-users is waiting for your approval');
    expect(waiting.text).toMatch(/^The migration acme-2026 is waiting at the "cutover" gate of wave friendly-users\.$/m);
    const reminder = await renderNotice('approver-gate-reminder', { ...noticeFixtures['approver-gate-reminder'], gate: 'cutover', wave: 'everyone' });
    expect(reminder.subject).toBe('[mailshift] Reminder: acme-2026 has waited 4 hours at the "cutover" gate of wave everyone');
    const once = await renderNotice('approver-gate-reminder', noticeFixtures['approver-gate-reminder']);
    expect(once.subject).toBe('[mailshift] Reminder: acme-2026 has waited 4 hours at the "switch-mx" gate');
  });

  it('the lucky notices warn that the mail program re-downloads everything and that it is normal', async () => {
    for (const kind of ['users-advance-lucky', 'users-mail-app-redownload'] as NoticeKind[]) {
      const { text } = await renderNotice(kind, noticeFixtures[kind]);
      expect(text).toMatch(/downloads all your messages again/);
      expect(text).toMatch(/This is normal/);
      expect(text).toMatch(/do not\s+delete\s+or\s+re-create/i);
    }
  });

  it('the credentials notice gives the triplet and where to get the password, never a password', async () => {
    const { text } = await renderNotice('users-new-credentials', noticeFixtures['users-new-credentials']);
    expect(text).toMatch(/Server name:\s+imap\.example\.org/);
    expect(text).toMatch(/User name:\s+alice@example\.org/);
    expect(text).toMatch(/Password:\s+Your IT desk will give you your new password by phone\./);
    // Data that would carry a secret is refused whatever the template says.
    await expect(renderNotice('users-new-credentials', { ...noticeFixtures['users-new-credentials'], password: 'hunter2' })).rejects.toThrow(
      /never carry secrets.*password/,
    );
    await expect(renderNotice('users-done', { helpContact: 'x', apiToken: 'abc' })).rejects.toThrow(/apiToken/);
    // host2's `tls` from the spec becomes the label mail programs show.
    const rest = Object.fromEntries(Object.entries(noticeFixtures['users-new-credentials']).filter(([k]) => k !== 'imapSecurity'));
    expect((await renderNotice('users-new-credentials', { ...rest, imapTls: 'starttls' })).text).toMatch(/Security:\s+STARTTLS\n/);
    await expect(renderNotice('users-new-credentials', rest)).rejects.toThrow(/\{\{imapSecurity\}\}/);
  });

  it.each(approverKinds.filter((k) => k.includes('gate')))('%s tells approvers how to approve, with a payload that parses', async (kind) => {
    const { text } = await renderNotice(kind, noticeFixtures[kind]);
    const gate = String(noticeFixtures[kind].gate);
    expect(text).toContain('Send a Signal');
    expect(text).toMatch(/signal name: approve/i);
    const json = /(\{"gate".*?\})/.exec(text)![1].replace('<your name>', 'carol').replace('<why>', 'checked');
    expect(JSON.parse(json)).toEqual({ gate, by: 'carol', comment: 'checked' });
    expect(text).toContain(`temporal workflow update execute --namespace mail-ops --workflow-id migration-acme-2026 --name approve --input '{"gate":"${gate}"`);
    expect(text).toContain('carol');
    // What the gate lets happen, filled in from the gate name.
    expect(text).toMatch(/WHAT THIS GATE OPENS\n {2}\S/);
  });
});

describe('missing values', () => {
  it('are an error naming every missing placeholder, not a silent blank', async () => {
    const rest = Object.fromEntries(Object.entries(noticeFixtures['users-cutover']).filter(([k]) => k === 'helpContact'));
    await expect(renderNotice('users-cutover', rest)).rejects.toThrow(/users-cutover.*\{\{expectedDuration\}\}, \{\{expectedEnd\}\}/);
    await expect(renderNotice('users-done', { helpContact: '' })).rejects.toThrow(/\{\{helpContact\}\}/);
  });

  it('an empty list renders as "(none)", a list as one item a line', async () => {
    const waiting = await renderNotice('approver-gate-waiting', { ...noticeFixtures['approver-gate-waiting'], checks: [] });
    expect(waiting.text).toMatch(/WHAT WAS CHECKED\n {2}\(none\)/);
    const failure = await renderNotice('approver-failure', noticeFixtures['approver-failure']);
    expect(failure.text).toContain('  - the step is retried every 10 minutes\n  - to stop');
  });
});

describe('an operator override directory', () => {
  it('wins over the built-in template, and kinds it lacks keep the built-in text', async () => {
    writeFileSync(path.join(overrideDir, 'users-done.txt'), 'Subject: ACME mail: all done\n\nDear colleague, the move is over. Ask {{helpContact}}.\n');
    const overridden = await renderNotice('users-done', { helpContact: 'Bob at 1234' }, overrideDir);
    expect(overridden.subject).toBe('ACME mail: all done');
    expect(overridden.text).toBe('Dear colleague, the move is over. Ask Bob at 1234.\n');
    expect(overridden.source).toBe(path.join(overrideDir, 'users-done.txt'));
    const builtIn = await renderNotice('users-rollback', noticeFixtures['users-rollback'], overrideDir);
    expect(builtIn.source).not.toContain(overrideDir);
    expect(builtIn.subject).toMatch(/postponed/);
  });

  it('is read from MAILSHIFT_TEMPLATES_DIR', async () => {
    process.env.MAILSHIFT_TEMPLATES_DIR = overrideDir;
    try {
      expect((await renderNotice('users-done', { helpContact: 'x' })).subject).toBe('ACME mail: all done');
    } finally {
      delete process.env.MAILSHIFT_TEMPLATES_DIR;
    }
    expect((await renderNotice('users-done', { helpContact: 'x' })).subject).toBe('Your email move is complete');
  });

  it('a mistyped directory or a template without Subject line is an error, not a fallback', async () => {
    await expect(renderNotice('users-done', { helpContact: 'x' }, path.join(overrideDir, 'nope'))).rejects.toThrow(/not a directory/);
    writeFileSync(path.join(overrideDir, 'users-rollback.txt'), 'Hello {{helpContact}}\n');
    await expect(renderNotice('users-rollback', { helpContact: 'x' }, overrideDir)).rejects.toThrow(/must start with a "Subject: …" line/);
  });
});
