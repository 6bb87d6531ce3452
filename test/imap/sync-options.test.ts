// The options a migration's phases use, against real Dovecot servers: age and size
// filters (and delete2 staying inside them), the post-sync's delete-on-source after a
// verified copy, folder rules, the reverse direction, admin (master user) logins, and the
// one-APPEND-per-message path.
import { appendFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import { buildCorpus, connect, fingerprints, makeMessage, readMailbox, seedMailbox, type CorpusMessage } from './corpus';
import { startHosts, type Hosts } from './hosts';
import type { DovecotServer } from '../../scripts/servers/dovecot';

jest.setTimeout(120_000);

const DAY = 24 * 3600 * 1000;
const corpus = buildCorpus({ large: false });
let hosts: Hosts;

const read = (side: 'host1' | 'host2', user: string) => readMailbox(hosts[side], user, hosts.users[user][side].password);
const asFingerprints = (messages: CorpusMessage[], folder: (f: string) => string = (f) => (f === 'Sent Items' ? 'Sent' : f)) =>
  fingerprints(messages.map((m) => ({ folder: folder(m.folder), raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() })));

async function append(server: DovecotServer, user: string, password: string, path: string, raw: Buffer, date: Date, flags: string[] = []) {
  const c = await connect(server, user, password);
  try {
    await c.append(path, raw, flags, date);
  } finally {
    await c.logout();
  }
}

beforeAll(async () => {
  hosts = await startHosts(['bob', 'carol', 'dave', 'erin', 'frank', 'olga']);
  for (const user of ['bob', 'carol', 'erin', 'frank', 'olga']) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, corpus);
  await seedMailbox(hosts.host2, 'dave', hosts.users.dave.host2.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
});

describe('filters', () => {
  const recent = corpus.filter((m) => m.label.startsWith('recent-'));
  const small = corpus.filter((m) => !m.label.startsWith('recent-') && m.raw.length <= 1000);

  it('maxAgeDays copies only recent messages and says why the others were skipped', async () => {
    const result = await syncMailbox(hosts.request('bob', { maxAgeDays: 2 }));
    expect(result.totals.copied).toBe(recent.length);
    expect(result.totals.skipped).toBe(corpus.length - recent.length);
    expect(result.folders.find((f) => f.destination === 'INBOX')!.skipped['older-than-max-age']).toBe(
      corpus.filter((m) => m.folder === 'INBOX').length - recent.length,
    );
    expect(fingerprints(await read('host2', 'bob'))).toEqual(asFingerprints(recent));
  });

  it('minAgeDays and maxSizeBytes leave out new and large messages', async () => {
    const result = await syncMailbox(hosts.request('bob', { minAgeDays: 2, maxSizeBytes: 1000 }));
    expect(result.totals.copied).toBe(small.length);
    const inbox = result.folders.find((f) => f.destination === 'INBOX')!;
    expect(inbox.skipped['newer-than-min-age']).toBe(recent.length);
    expect(inbox.skipped['larger-than-max-size']).toBe(corpus.filter((m) => m.folder === 'INBOX' && m.raw.length > 1000).length);
    expect(fingerprints(await read('host2', 'bob'))).toEqual(asFingerprints([...recent, ...small]));
  });

  it('delete2 with maxAgeDays removes only extra messages inside the age window', async () => {
    const { password } = hosts.users.bob.host2;
    await append(
      hosts.host2,
      'bob',
      password,
      'INBOX',
      makeMessage({ messageId: '<old-extra@x>', subject: 'old extra', date: new Date(2016, 1, 1), body: 'old' }),
      new Date('2016-02-01T00:00:00Z'),
    );
    await append(
      hosts.host2,
      'bob',
      password,
      'INBOX',
      makeMessage({ messageId: '<new-extra@x>', subject: 'new extra', date: new Date(), body: 'new' }),
      new Date(Date.now() - 3600_000),
    );
    const result = await syncMailbox(hosts.request('bob', { maxAgeDays: 2, deleteOnDestination: true }));
    expect(result.totals).toMatchObject({ deletedOnDestination: 1, copied: 0 });
    const inbox = (await read('host2', 'bob')).filter((m) => m.folder === 'INBOX');
    expect(inbox.some((m) => m.source.includes('<old-extra@x>'))).toBe(true);
    expect(inbox.some((m) => m.source.includes('<new-extra@x>'))).toBe(false);
  });
});

describe('post-sync with delete on source (delete1)', () => {
  it('expunges from host1 only in-scope messages verified on host2, and only those', async () => {
    await syncMailbox(hosts.request('carol'));
    const { password } = hosts.users.carol.host1;
    // Arrived on host1 after the final sync: one small, one larger than the size filter.
    await append(
      hosts.host1,
      'carol',
      password,
      'INBOX',
      makeMessage({ messageId: '<late@x>', subject: 'late', date: new Date(), body: 'late mail' }),
      new Date(Date.now() - 600_000),
    );
    await append(
      hosts.host1,
      'carol',
      password,
      'INBOX',
      makeMessage({ messageId: '<late-big@x>', subject: 'late big', date: new Date(), body: 'x'.repeat(5000) }),
      new Date(Date.now() - 600_000),
    );
    // A message the user marked \Deleted on host1 but did not expunge: not ours to expunge.
    const c = await connect(hosts.host1, 'carol', password);
    await c.mailboxOpen('INBOX');
    const recentUids = (await c.search({ since: new Date(Date.now() - 2 * DAY) }, { uid: true })) as number[];
    const userDeleted = recentUids[0];
    await c.messageFlagsAdd([userDeleted], ['\\Deleted'], { uid: true });
    await c.logout();

    const result = await syncMailbox(
      hosts.request('carol', { folders: { include: ['^INBOX$'] }, maxAgeDays: 1, maxSizeBytes: 4000, deleteOnSource: true, deleteOnDestination: false }),
    );
    expect(result.folders.map((f) => f.destination)).toEqual(['INBOX']);
    const recentInCorpus = corpus.filter((m) => m.label.startsWith('recent-')).length;
    // Copied: the late small one. Deleted from host1: the recent ones already on host2 plus it,
    // but not the one marked \Deleted by the user, not the big one.
    expect(result.totals.copied).toBe(1);
    expect(result.totals.deletedOnSource).toBe(recentInCorpus - 1 + 1);
    const host1Inbox = (await read('host1', 'carol')).filter((m) => m.folder === 'INBOX');
    expect(host1Inbox.some((m) => m.source.includes('<late@x>'))).toBe(false);
    expect(host1Inbox.some((m) => m.source.includes('<late-big@x>'))).toBe(true);
    expect(host1Inbox.find((m) => m.uid === userDeleted)?.flags).toContain('\\Deleted');
    expect(host1Inbox.length).toBe(corpus.filter((m) => m.folder === 'INBOX').length + 2 - recentInCorpus);
    const host2Inbox = (await read('host2', 'carol')).filter((m) => m.folder === 'INBOX');
    expect(host2Inbox.some((m) => m.source.includes('<late@x>'))).toBe(true);
    for (const m of corpus.filter((x) => x.label.startsWith('recent-'))) {
      expect(host2Inbox.some((h) => h.source.equals(m.raw))).toBe(true);
    }
  });
});

describe('folder rules and the one-by-one APPEND path', () => {
  it('exclude and rename (subfolders follow), with MULTIAPPEND turned off', async () => {
    const rules = { exclude: ['^Junk$', '^Drafts$'], rename: { Archive: 'Old/Archive' } };
    const result = await syncMailbox(hosts.request('frank', { folders: rules, tuning: { multiappend: false, batchMessages: 7, parallelFolders: 1 } }));
    expect(result.excludedFolders.sort()).toEqual(['Drafts', 'Junk']);
    const kept = corpus.filter((m) => m.folder !== 'Junk' && m.folder !== 'Drafts');
    const renamed = (f: string) => (f === 'Sent Items' ? 'Sent' : f.startsWith('Archive') ? `Old/${f}` : f);
    expect(result.totals.copied).toBe(kept.length);
    expect(fingerprints(await read('host2', 'frank'))).toEqual(asFingerprints(kept, renamed));
    expect(result.folders.find((f) => f.destination === 'Old/Archive/2024/Été')).toMatchObject({ source: ['Archive/2024/Été'], created: true });
  });

  it('include limits everything, delete2 included, to the matching folders', async () => {
    const { password } = hosts.users.frank.host2;
    await append(
      hosts.host2,
      'frank',
      password,
      'Old/Archive',
      makeMessage({ messageId: '<keep@x>', subject: 'keep', date: new Date(2017, 1, 1), body: 'k' }),
      new Date('2017-02-01T00:00:00Z'),
    );
    const result = await syncMailbox(hosts.request('frank', { folders: { include: ['^INBOX$'] }, deleteOnDestination: true }));
    expect(result.folders.map((f) => f.destination)).toEqual(['INBOX']);
    expect(result.totals.deletedOnDestination).toBe(0);
    expect((await read('host2', 'frank')).some((m) => m.source.includes('<keep@x>'))).toBe(true);
  });

  it('refuses an include pattern that is not a regular expression, before touching anything', async () => {
    await expect(syncMailbox(hosts.request('frank', { folders: { include: ['(unclosed'] } }))).rejects.toMatchObject({
      type: 'ImapRequestInvalid',
      nonRetryable: true,
    });
  });
});

describe('the other direction and admin logins', () => {
  it('host2 (/) → host1 (INBOX. prefix, .): names translated back, Sent Items into INBOX.Sent', async () => {
    const result = await syncMailbox({
      mailbox: 'dave@example.org',
      source: hosts.account(hosts.host2, hosts.users.dave.host2),
      destination: hosts.account(hosts.host1, hosts.users.dave.host1),
      deleteOnDestination: true,
      deleteOnSource: false,
    });
    expect(result.totals.copied).toBe(corpus.length);
    expect(result.folders.find((f) => f.destination === 'Archive/2024/Été')!.destinationPath).toBe('INBOX.Archive.2024.Été');
    expect(fingerprints(await read('host1', 'dave'))).toEqual(asFingerprints(corpus));
    const c = await connect(hosts.host1, 'dave', hosts.users.dave.host1.password);
    const paths = (await c.list()).map((f) => f.path);
    await c.logout();
    expect(paths).toEqual(expect.arrayContaining(['INBOX.Archive.2024.Été', 'INBOX.Projets.日本語', 'INBOX.Sent']));
    expect(paths).not.toContain('INBOX.Sent Items');
  });

  it('logs in with the admin credential: SASL authzid on host1, user*admin on host2', async () => {
    const admin = { user: 'erin', credential: hosts.admin.credential, masterUser: 'admin' };
    const req = hosts.request('erin', {});
    req.source = { ...req.source, login: admin };
    req.destination = { ...req.destination, login: { ...admin, masterUserSeparator: '*' } };
    const result = await syncMailbox(req);
    expect(result.totals.copied).toBe(corpus.length);
    expect(fingerprints(await read('host2', 'erin'))).toEqual(asFingerprints(corpus));
    expect((await verifyMailbox(req)).ok).toBe(true);
  });
});

// Last: it changes host2's configuration for everyone.
describe('a message host2 refuses', () => {
  it('is isolated from its MULTIAPPEND batch, reported, and the rest of the batch is copied', async () => {
    const big = makeMessage({ messageId: '<big@x>', subject: 'too big for host2', date: new Date(2016, 0, 1), body: 'z'.repeat(20_000) });
    await append(hosts.host1, 'olga', hosts.users.olga.host1.password, 'INBOX', big, new Date('2016-01-01T00:00:00Z'));
    // Dovecot's per-message limit answers NO [LIMIT] for that one message.
    appendFileSync(hosts.host2.conf, '\nplugin {\n  quota_max_mail_size = 10k\n}\n');
    expect(spawnSync('doveadm', ['-c', hosts.host2.conf, 'reload']).status).toBe(0);
    await new Promise((r) => setTimeout(r, 500));

    const result = await syncMailbox(hosts.request('olga'));
    const inbox = result.folders.find((f) => f.destination === 'INBOX')!;
    expect(inbox.skipped['rejected-by-destination']).toBe(1);
    expect(inbox.copied).toBe(corpus.filter((m) => m.folder === 'INBOX').length);
    expect(inbox.warnings).toHaveLength(1);
    expect(inbox.warnings![0]).toMatch(/host2 refused message UID \d+ of "INBOX" \(\d+ bytes, <big@x>\): \[LIMIT\]/);
    expect(result.totals.copied).toBe(corpus.length);
    const verified = await verifyMailbox(hosts.request('olga'));
    expect(verified).toMatchObject({ ok: false, missing: 1 });
    expect(verified.folders.find((f) => f.destination === 'INBOX')!.missingSample[0].messageId).toBe('<big@x>');
  });
});
