// The sync engine against two real Dovecot servers: host1 `INBOX.` prefix with `.`,
// host2 `/` with no prefix. One mailbox goes through a migration's life: dry run, first
// sync, re-run, flag changes, deletions, late arrivals; each step checked on the servers.
import { ImapFlow } from 'imapflow';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncResult } from '../../activities/imap/types';
import { buildCorpus, connect, fingerprints, makeMessage, readMailbox, seedMailbox, serverPathOf, type CorpusMessage, type StoredMessage } from './corpus';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(120_000);

const corpus = buildCorpus();
/** Where each host1 folder should land on host2: Outlook's "Sent Items" goes to host2's \Sent. */
const onHost2 = (folder: string) => (folder === 'Sent Items' ? 'Sent' : folder);
const expectedOnHost2 = (messages: CorpusMessage[]) =>
  fingerprints(messages.map((m) => ({ folder: onHost2(m.folder), raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() })));

let hosts: Hosts;
const h1 = () => readMailbox(hosts.host1, 'alice', hosts.users.alice.host1.password);
const h2 = () => readMailbox(hosts.host2, 'alice', hosts.users.alice.host2.password);
const folderOf = (r: SyncResult, destination: string) => r.folders.find((f) => f.destination === destination)!;

/** Runs `fn` on a host1 or host2 connection as alice. */
async function onServer<T>(side: 'host1' | 'host2', fn: (c: ImapFlow, path: (logical: string) => string) => Promise<T>): Promise<T> {
  const server = hosts[side];
  const client = await connect(server, 'alice', hosts.users.alice[side].password);
  try {
    return await fn(client, (logical) => serverPathOf(server, logical));
  } finally {
    await client.logout();
  }
}

/** UID of the message whose source contains `marker`, in a folder. */
function uidOf(messages: StoredMessage[], folder: string, marker: string): number {
  const hit = messages.filter((m) => m.folder === folder && m.source.includes(marker));
  if (hit.length !== 1) throw new Error(`${hit.length} messages with ${marker} in ${folder}`);
  return hit[0].uid;
}

beforeAll(async () => {
  hosts = await startHosts(['alice']);
  await seedMailbox(hosts.host1, 'alice', hosts.users.alice.host1.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
});

let dryRun: SyncResult;
let first: SyncResult;

it('verification before the first sync finds every message and folder missing', async () => {
  const verified = await verifyMailbox(hosts.request('alice'));
  expect(verified).toMatchObject({ ok: false, missing: corpus.length, extra: 0 });
  expect(verified.folders.find((f) => f.destination === 'Archive/2024/Été')).toMatchObject({ existsOnDestination: false, missing: 3 });
});

it('a dry run reports what the sync would do and changes nothing on either side', async () => {
  const before = { host1: fingerprints(await h1()), host2: fingerprints(await h2()) };
  const foldersBefore = await onServer('host2', async (c) => (await c.list()).map((f) => f.path).sort());
  dryRun = await syncMailbox(hosts.request('alice', { dryRun: true, deleteOnDestination: true }));
  expect(dryRun.dryRun).toBe(true);
  expect(dryRun.totals.copied).toBe(corpus.length);
  expect(dryRun.totals.bytesCopied).toBe(corpus.reduce((n, m) => n + m.raw.length, 0));
  expect(folderOf(dryRun, 'Archive/2024/Été')).toMatchObject({ created: true, copied: 3 });
  expect(fingerprints(await h1())).toEqual(before.host1);
  expect(fingerprints(await h2())).toEqual(before.host2);
  expect(await onServer('host2', async (c) => (await c.list()).map((f) => f.path).sort())).toEqual(foldersBefore);
});

it('copies every message byte-exact, with flags, keywords and internal dates, into the mapped folders', async () => {
  first = await syncMailbox(hosts.request('alice'));
  expect(first.totals.copied).toBe(corpus.length);
  expect(fingerprints(await h2())).toEqual(expectedOnHost2(corpus));
  // Reading host1 changed nothing there (BODY.PEEK: no \Seen added).
  expect(fingerprints(await h1())).toEqual(
    fingerprints(corpus.map((m) => ({ folder: m.folder, raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() }))),
  );
  // The dry run said exactly this, folder by folder.
  const counts = (r: SyncResult) => r.folders.map((f) => [f.destination, f.copied, f.bytesCopied, f.created]);
  expect(counts(dryRun)).toEqual(counts(first));
});

it('translates prefix and separator, maps Sent Items to Sent, keeps Archive a plain folder', async () => {
  const folders = await onServer('host2', (c) => c.list());
  const byPath = new Map(folders.map((f) => [f.path, f]));
  for (const path of ['Archive', 'Archive/2024', 'Archive/2024/Été', 'Projets/日本語']) {
    expect(byPath.get(path)).toBeDefined();
    expect(byPath.get(path)!.subscribed).toBe(true);
  }
  expect(byPath.get('Sent Items')).toBeUndefined();
  expect(byPath.has('Projets/日本語') && byPath.get('Projets/日本語')!.pathAsListed).toBe('Projets/&ZeVnLIqe-');
  expect(folderOf(first, 'Sent')).toMatchObject({ source: ['Sent', 'Sent Items'], copied: 5, created: false });
  expect(folderOf(first, 'Archive')).toMatchObject({ source: ['Archive'], destinationPath: 'Archive', created: true });
  expect(folderOf(first, 'Archive/2024')).toMatchObject({ source: ['Archive/2024'], copied: 4 });
});

it('copies distinct messages sharing a Message-ID, messages without one, and identical twins', async () => {
  const inbox = (await h2()).filter((m) => m.folder === 'INBOX');
  const count = (marker: string) => inbox.filter((m) => m.source.includes(marker)).length;
  expect(count('Version AAAA')).toBe(1);
  expect(count('Version BBBB')).toBe(1);
  expect(count('Code 1111')).toBe(1);
  expect(count('Code 2222')).toBe(1);
  expect(count('Nothing to identify me')).toBe(1);
  expect(count('I was delivered twice')).toBe(2);
});

it('a re-run copies nothing, changes nothing, and verification finds both sides equal', async () => {
  const again = await syncMailbox(hosts.request('alice', { deleteOnDestination: true }));
  expect(again.totals).toMatchObject({
    copied: 0,
    flagsUpdated: 0,
    deletedOnDestination: 0,
    sourceMessages: corpus.length,
    destinationMessages: corpus.length,
  });
  expect(again.folders.every((f) => !f.created && !f.subscribed)).toBe(true);
  expect(fingerprints(await h2())).toEqual(expectedOnHost2(corpus));
  const verified = await verifyMailbox(hosts.request('alice'));
  expect(verified).toMatchObject({ ok: true, missing: 0, extra: 0, flagMismatches: 0, destinationOnlyFolders: [] });
});

it('propagates flag and keyword changes made on host1', async () => {
  const before = await h1();
  await onServer('host1', async (c) => {
    await c.mailboxOpen('INBOX');
    await c.messageFlagsRemove([uidOf(before, 'INBOX', 'Report number 1.')], ['\\Seen'], { uid: true });
    await c.messageFlagsAdd([uidOf(before, 'INBOX', 'Report number 0.')], ['\\Flagged', 'Project-X'], { uid: true });
    // One of the two messages sharing a Message-ID: the right one must change on host2.
    await c.messageFlagsAdd([uidOf(before, 'INBOX', 'Version AAAA')], ['$Label1'], { uid: true });
  });
  const result = await syncMailbox(hosts.request('alice'));
  expect(result.totals).toMatchObject({ flagsUpdated: 3, copied: 0 });
  const inbox = (await h2()).filter((m) => m.folder === 'INBOX');
  const flags = (marker: string) => inbox.find((m) => m.source.includes(marker))!.flags;
  expect(flags('Report number 1.')).toEqual([]);
  expect(flags('Report number 0.')).toEqual(['Project-X', '\\Flagged']);
  expect(flags('Version AAAA')).toEqual(['$Label1']);
  expect(flags('Version BBBB')).toEqual(['\\Seen']);
  expect(fingerprints(await h2())).toEqual(fingerprints((await h1()).map((m) => ({ ...m, folder: onHost2(m.folder) }))));
});

it('deletes on host2 what is gone from host1 only when asked (delete2), telling look-alikes apart', async () => {
  const before = await h1();
  const twins = before.filter((m) => m.folder === 'INBOX' && m.source.includes('I was delivered twice'));
  await onServer('host1', async (c) => {
    await c.mailboxOpen('INBOX');
    // One twin of two, and the first of two alerts that differ only in their body: host2
    // must lose exactly those, not the look-alike that is listed first.
    await c.messageDelete([uidOf(before, 'INBOX', 'Report number 2.'), twins[0].uid, uidOf(before, 'INBOX', 'Code 1111')], { uid: true });
  });
  const without = await syncMailbox(hosts.request('alice'));
  // Left in place, and said so: the runbook counts them as users' own mail after a first sync.
  expect(without.totals).toMatchObject({ deletedOnDestination: 0, extraOnDestination: 3, copied: 0 });
  expect((await h2()).length).toBe(corpus.length);
  const verified = await verifyMailbox(hosts.request('alice'));
  expect(verified).toMatchObject({ ok: true, extra: 3, missing: 0 });

  const withDelete = await syncMailbox(hosts.request('alice', { deleteOnDestination: true }));
  expect(folderOf(withDelete, 'INBOX')).toMatchObject({ deletedOnDestination: 3, extraOnDestination: 0 });
  const inbox = (await h2()).filter((m) => m.folder === 'INBOX');
  expect(inbox.filter((m) => m.source.includes('I was delivered twice'))).toHaveLength(1);
  expect(inbox.some((m) => m.source.includes('Report number 2.'))).toBe(false);
  expect(inbox.some((m) => m.source.includes('Code 1111'))).toBe(false);
  expect(inbox.some((m) => m.source.includes('Code 2222'))).toBe(true);
  expect(fingerprints(await h2())).toEqual(fingerprints((await h1()).map((m) => ({ ...m, folder: onHost2(m.folder) }))));
});

it('a late arrival sharing Message-ID and size with two others is copied once', async () => {
  const late = makeMessage({
    messageId: '<same@example.net>',
    subject: 'Shared id',
    date: corpus.find((m) => m.label === 'shared-id-a')!.internalDate,
    body: 'Version CCCC',
  });
  await onServer('host1', (c) => c.append('INBOX', late, ['\\Seen'], new Date('2024-03-01T10:00:00Z')));
  const result = await syncMailbox(hosts.request('alice'));
  expect(result.totals.copied).toBe(1);
  const again = await syncMailbox(hosts.request('alice'));
  expect(again.totals.copied).toBe(0);
  const shared = (await h2()).filter((m) => m.folder === 'INBOX' && m.source.includes('Version '));
  expect(shared.map((m) => m.source.toString().match(/Version (\w+)/)![1]).sort()).toEqual(['AAAA', 'BBBB', 'CCCC']);
  expect(shared.find((m) => m.source.includes('CCCC'))!.internalDate).toBe(Date.parse('2024-03-01T10:00:00Z'));
});
