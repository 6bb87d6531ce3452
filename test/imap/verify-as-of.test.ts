// Verification "as of" a sync's start, against two real Dovecot servers. The MX still
// points to host1 while mailboxes are verified after their final sync: mail delivered
// there since must not count as missing (the post-sync copies it), while a message that
// existed when the sync started and is not on host2 must.
import { spawnSync } from 'node:child_process';
import { planFolders } from '../../activities/imap/folder-plan';
import { listFolders } from '../../activities/imap/folders';
import { openSession } from '../../activities/imap/session';
import { sourceMarks } from '../../activities/imap/source-marks';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import type { SourceMark, SyncResult, VerifyResult } from '../../activities/imap/types';
import { makeMessage, readMailbox, seedMailbox, serverPathOf, type CorpusMessage } from './corpus';
import { onServer, startHosts, type Hosts } from './hosts';

jest.setTimeout(60_000);

let hosts: Hosts;

const DATE = new Date('2024-04-01T09:00:00Z');
function message(folder: string, label: string): CorpusMessage {
  return {
    folder,
    label,
    raw: makeMessage({ messageId: `<${label}@example.net>`, subject: label, date: DATE, body: `This is ${label}.` }),
    flags: ['\\Seen'],
    internalDate: DATE,
  };
}
const seeded = (user: string) => [
  ...[0, 1, 2].map((i) => message('INBOX', `${user}-inbox-${i}`)),
  ...[0, 1].map((i) => message('Archive', `${user}-archive-${i}`)),
];

/** UIDVALIDITY and UIDNEXT of every host1 folder, read directly, by host1 path. */
async function host1Status(user: string): Promise<Record<string, { uidValidity: string; uidNext: number }>> {
  return onServer(hosts, 'host1', user, async (c) => {
    const out: Record<string, { uidValidity: string; uidNext: number }> = {};
    for (const f of await c.list()) {
      if (f.flags.has('\\Noselect') || f.flags.has('\\NonExistent')) continue;
      const s = await c.status(f.path, { uidNext: true, uidValidity: true });
      if (!s) throw new Error(`no STATUS for ${f.path}`);
      out[f.path] = { uidValidity: String(s.uidValidity), uidNext: s.uidNext! };
    }
    return out;
  });
}
const byFolder = (marks: SourceMark[]) => Object.fromEntries(marks.map((m) => [m.folder, { uidValidity: m.uidValidity, uidNext: m.uidNext }]));
const sourceMessages = (v: VerifyResult) => v.folders.reduce((n, f) => n + f.sourceMessages, 0);
const folderOf = (v: VerifyResult, destination: string) => v.folders.find((f) => f.destination === destination)!;

beforeAll(async () => {
  hosts = await startHosts(['vera', 'walt', 'xena']);
  for (const user of ['vera', 'walt', 'xena']) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, seeded(user));
});
afterAll(async () => {
  await hosts?.stop();
});

describe('mail delivered to host1 after the final sync', () => {
  let synced: SyncResult;
  const late = (label: string) => makeMessage({ messageId: `<${label}@example.net>`, subject: label, date: DATE, body: `Late: ${label}.` });

  beforeAll(async () => {
    synced = await syncMailbox(hosts.request('vera'));
    expect(synced.totals.copied).toBe(5);
    // Arrivals after the sync: two in INBOX, and a new folder with one message.
    await onServer(hosts, 'host1', 'vera', async (c, path) => {
      await c.append('INBOX', late('late-1'), [], DATE);
      await c.append('INBOX', late('late-2'), [], DATE);
      await c.mailboxCreate(path('Projects'));
      await c.append(path('Projects'), late('late-3'), [], DATE);
    });
  });

  it('the sync returns a mark for every host1 folder it synced', async () => {
    expect(byFolder(synced.sourceMarks)).toEqual(
      expect.objectContaining({ INBOX: expect.objectContaining({ uidNext: 4 }), 'INBOX.Archive': expect.objectContaining({ uidNext: 3 }) }),
    );
    const synchedFolders = synced.folders.flatMap((f) => f.source).map((l) => serverPathOf(hosts.host1, l));
    expect(synced.sourceMarks.map((m) => m.folder).sort()).toEqual(synchedFolders.sort());
    for (const m of synced.sourceMarks) expect(m.uidValidity).toMatch(/^\d+$/);
    // Through JSON, as workflow history carries it.
    expect(JSON.parse(JSON.stringify(synced.sourceMarks))).toEqual(synced.sourceMarks);
  });

  it('without asOf, verification counts them missing (and the new folder absent)', async () => {
    const v = await verifyMailbox(hosts.request('vera'));
    expect(v).toMatchObject({ ok: false, missing: 3, extra: 0 });
    expect(folderOf(v, 'INBOX')).toMatchObject({ missing: 2, sourceMessages: 5 });
    expect(folderOf(v, 'Projects')).toMatchObject({ existsOnDestination: false, missing: 1 });
  });

  it('with asOf the sync marks, only what existed when the sync started is judged', async () => {
    const v = await verifyMailbox(hosts.request('vera', { asOf: synced.sourceMarks }));
    expect(v).toMatchObject({ ok: true, missing: 0, extra: 0, flagMismatches: 0 });
    expect(sourceMessages(v)).toBe(5);
    expect(folderOf(v, 'INBOX')).toMatchObject({ sourceMessages: 3, destinationMessages: 3, missing: 0 });
    expect(folderOf(v, 'Projects')).toMatchObject({ existsOnDestination: false, sourceMessages: 0, missing: 0, afterMark: true });
  });

  it('a message that existed when the sync started and is gone from host2 is still missing with asOf', async () => {
    await onServer(hosts, 'host2', 'vera', async (c) => {
      await c.mailboxOpen('INBOX');
      const uids = await c.search({ header: { 'message-id': '<vera-inbox-1@example.net>' } }, { uid: true });
      expect(uids).toHaveLength(1);
      await c.messageDelete(uids as number[], { uid: true });
    });
    const v = await verifyMailbox(hosts.request('vera', { asOf: synced.sourceMarks }));
    expect(v).toMatchObject({ ok: false, missing: 1, extra: 0 });
    expect(folderOf(v, 'INBOX')).toMatchObject({ sourceMessages: 3, missing: 1 });
    expect(folderOf(v, 'INBOX').missingSample.map((m) => m.messageId)).toEqual(['<vera-inbox-1@example.net>']);
    // And without asOf, the late arrivals on top.
    expect((await verifyMailbox(hosts.request('vera'))).missing).toBe(4);
  });

  it('the post-sync copies the late arrivals; its own marks then cover them', async () => {
    const post = await syncMailbox(hosts.request('vera', { previous: synced.state }));
    expect(post.totals.copied).toBe(4);
    const v = await verifyMailbox(hosts.request('vera', { asOf: post.sourceMarks }));
    expect(v).toMatchObject({ ok: true, missing: 0, extra: 0 });
    expect(sourceMessages(v)).toBe(8);
  });
});

describe('marks are taken when the sync starts', () => {
  it('on an unchanged mailbox, the marks are the UIDNEXT host1 reports before the sync (a dry run too)', async () => {
    const first = await syncMailbox(hosts.request('xena'));
    const before = await host1Status('xena');
    const again = await syncMailbox(hosts.request('xena', { previous: first.state }));
    expect(again.folders.every((f) => f.mode === 'unchanged')).toBe(true);
    expect(byFolder(again.sourceMarks)).toEqual(before);
    const dry = await syncMailbox(hosts.request('xena', { previous: first.state, dryRun: true }));
    expect(byFolder(dry.sourceMarks)).toEqual(before);
  });

  it('a folder the listing gave no status for gets its mark from one STATUS', async () => {
    const before = await host1Status('xena');
    const req = hosts.request('xena');
    const session = await openSession('host1', req.source, req.mailbox);
    try {
      const folders = await listFolders(session); // no status asked: no marks in the listing
      expect(folders.every((f) => !f.mark)).toBe(true);
      const plan = planFolders(folders, [], { prefix: '', delimiter: '/' });
      expect(byFolder(await sourceMarks(session, plan.pairs))).toEqual(before);
    } finally {
      await session.close();
    }
  });

  it('a message delivered to host1 during the sync is copied, yet not below the mark', async () => {
    const before = await host1Status('walt');
    // Delivered while the sync runs: when it starts on INBOX (after the folders are listed,
    // before INBOX's messages are), blocking the sync meanwhile so the order is certain.
    let delivered = false;
    const synced = await syncMailbox(hosts.request('walt', { tuning: { parallelFolders: 1 } }), (p) => {
      if (delivered || p.phase !== 'messages' || p.folder !== 'INBOX') return;
      delivered = true;
      const res = spawnSync('doveadm', ['-c', hosts.host1.conf, 'save', '-u', 'walt', '-m', 'INBOX'], {
        input: makeMessage({ messageId: '<during@example.net>', subject: 'during', date: DATE, body: 'Delivered during the sync.' }),
      });
      if (res.status !== 0) throw new Error(`doveadm save failed: ${res.stderr}`);
    });
    expect(delivered).toBe(true);
    expect(synced.totals.copied).toBe(6); // the full listing of INBOX saw it
    expect(byFolder(synced.sourceMarks)).toEqual(before);
    const host1 = await readMailbox(hosts.host1, 'walt', hosts.users.walt.host1.password);
    const during = host1.find((m) => m.source.includes('Delivered during the sync.'))!;
    expect(during.uid).toBeGreaterThanOrEqual(before.INBOX.uidNext);
    // Verification as of the sync's start leaves it out, and its copy on host2 is no extra.
    const v = await verifyMailbox(hosts.request('walt', { asOf: synced.sourceMarks }));
    expect(v).toMatchObject({ ok: true, missing: 0, extra: 0 });
    expect(folderOf(v, 'INBOX')).toMatchObject({ sourceMessages: 3, destinationMessages: 4 });
  });
});

describe('marks that no longer fit', () => {
  it('a host1 folder whose UIDVALIDITY changed since the mark is judged in full', async () => {
    const first = await syncMailbox(hosts.request('xena'));
    // Archive recreated on host1 (new UIDVALIDITY) with its two messages and a third.
    await onServer(hosts, 'host1', 'xena', async (c, path) => {
      await c.mailboxDelete(path('Archive'));
      await c.mailboxCreate(path('Archive'));
      for (const m of [...seeded('xena').filter((s) => s.folder === 'Archive'), message('Archive', 'xena-archive-new')]) {
        await c.append(path('Archive'), m.raw, m.flags, m.internalDate);
      }
    });
    const after = await host1Status('xena');
    expect(after['INBOX.Archive'].uidValidity).not.toBe(byFolder(first.sourceMarks)['INBOX.Archive'].uidValidity);
    const v = await verifyMailbox(hosts.request('xena', { asOf: first.sourceMarks }));
    expect(folderOf(v, 'Archive')).toMatchObject({ sourceMessages: 3, missing: 1 });
    expect(v).toMatchObject({ ok: false, missing: 1 });
  });

  it('a malformed asOf is refused, naming the field', async () => {
    const bad: unknown[] = [
      'INBOX',
      [{ folder: 'INBOX', uidValidity: 12, uidNext: 4 }],
      [{ folder: 'INBOX', uidValidity: '12', uidNext: '4' }],
      [{ folder: '', uidValidity: '12', uidNext: 4 }],
      [{ folder: 'INBOX', uidValidity: '12', uidNext: 0 }],
      [null],
    ];
    for (const asOf of bad) {
      const err = await verifyMailbox(hosts.request('xena', { asOf: asOf as SourceMark[] })).catch((e: unknown) => e);
      expect(err).toMatchObject({ type: 'ImapRequestInvalid', nonRetryable: true });
      expect((err as Error).message).toMatch(/asOf/);
    }
  });
});
