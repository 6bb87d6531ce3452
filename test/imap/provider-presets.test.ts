// Provider presets against real Dovecot servers given a provider's folder names (no
// SPECIAL-USE flags on them, as a server that does not announce roles): a Gmail-like host1
// whose [Gmail]/All Mail holds every message again, and a Microsoft-365-like host1 with
// Outlook's folders. The rules are the ones syncRequest builds for provider gmail or
// microsoft365 on host1 (workflows/preset-rules.ts).
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import { presetFolderRules } from '../../workflows/preset-rules';
import { makeMessage, readMailbox } from './corpus';
import { onServer, startHosts, type Hosts } from './hosts';

jest.setTimeout(120_000);

let hosts: Hosts;
const none = { include: [], exclude: [], rename: {} };
const message = (id: string) => makeMessage({ messageId: `<${id}@example.org>`, subject: id, date: new Date('2025-03-01T10:00:00Z'), body: `${id}\r\n` });

/** Creates the folders on host1 and appends each message to every folder listed for it. */
async function seed(user: string, folders: string[], messages: Record<string, string[]>) {
  await onServer(hosts, 'host1', user, async (c, path) => {
    for (const f of folders) await c.mailboxCreate(path(f));
    for (const [id, inFolders] of Object.entries(messages)) {
      for (const f of inFolders) await c.append(path(f), message(id), [], new Date('2025-03-01T10:00:00Z'));
    }
  });
}

const byFolder = async (user: string) => {
  const out: Record<string, string[]> = {};
  for (const m of await readMailbox(hosts.host2, user, hosts.users[user].host2.password)) {
    (out[m.folder] ??= []).push(/^Subject: (.*)$/m.exec(m.source.toString())![1]);
  }
  for (const ids of Object.values(out)) ids.sort();
  return out;
};

beforeAll(async () => {
  hosts = await startHosts(['gina', 'mike']);
});
afterAll(async () => {
  await hosts?.stop();
});

it('gmail on host1: labels and Sent Mail are copied, All Mail and the other views are not, nothing twice', async () => {
  await seed('gina', ['[Gmail]/All Mail', '[Gmail]/Sent Mail', '[Gmail]/Starred', '[Gmail]/Spam', 'Work'], {
    inbox: ['INBOX', '[Gmail]/All Mail', '[Gmail]/Starred'],
    labelled: ['Work', '[Gmail]/All Mail'],
    sent: ['[Gmail]/Sent Mail', '[Gmail]/All Mail'],
    spam: ['[Gmail]/Spam'],
  });
  const folders = presetFolderRules(none, 'gmail', 'dovecot');
  const result = await syncMailbox(hosts.request('gina', { folders }));
  expect(result.excludedFolders.sort()).toEqual(['[Gmail]/All Mail', '[Gmail]/Starred']);
  expect(await byFolder('gina')).toEqual({ INBOX: ['inbox'], Work: ['labelled'], Sent: ['sent'], Junk: ['spam'] });
  expect(result.totals.copied).toBe(4);
  expect(result.folders.find((f) => f.destination === 'Sent')!.source).toEqual(expect.arrayContaining(['[Gmail]/Sent Mail']));
  const verified = await verifyMailbox(hosts.request('gina', { folders }));
  expect(verified).toMatchObject({ ok: true, missing: 0 });

  // Without the preset the same host1 would copy All Mail as a folder: every message twice.
  await syncMailbox(hosts.request('gina', { folders: none, dryRun: true })).then((dry) =>
    expect(dry.folders.map((f) => f.destination)).toEqual(expect.arrayContaining(['[Gmail]/All Mail', '[Gmail]/Sent Mail'])),
  );
});

it('microsoft365 on host1: Sent Items lands in Sent, Sync Issues (and below) and Calendar are not copied', async () => {
  await seed('mike', ['Sent Items', 'Sync Issues', 'Sync Issues/Conflicts', 'Calendar', 'Projects'], {
    inbox: ['INBOX'],
    sent: ['Sent Items'],
    conflict: ['Sync Issues', 'Sync Issues/Conflicts'],
    meeting: ['Calendar'],
    project: ['Projects'],
  });
  const folders = presetFolderRules(none, 'microsoft365', 'dovecot');
  const result = await syncMailbox(hosts.request('mike', { folders }));
  expect(result.excludedFolders.sort()).toEqual(['Calendar', 'Sync Issues', 'Sync Issues/Conflicts']);
  expect(await byFolder('mike')).toEqual({ INBOX: ['inbox'], Sent: ['sent'], Projects: ['project'] });
  expect(await verifyMailbox(hosts.request('mike', { folders }))).toMatchObject({ ok: true, missing: 0 });
});
