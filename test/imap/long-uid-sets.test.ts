// Commands naming many messages by UID are sent in parts a server takes. Dovecot refuses an
// argument over its imap_max_line_length ("Too long argument"): 64 KB by default, about
// 11,000 UIDs written one by one. RFC 7162 §4 asks clients to keep command lines within
// 8,192 octets, and this Dovecot holds them to that (which also keeps the folder small).
// A folder of 4,000 messages: listed by a SEARCH result (a sync with --max-age), its flags
// updated on every other message (a user who read half the folder between two syncs), and
// every other message expunged (--delete2, or host2's copies a rollback takes back). And a
// folder whose UIDs start at 1,000,000,000, of which every other message is copied: the
// bodies of 1,000 of them, read as one group of copy batches.
import { spawnSync } from 'node:child_process';
import { readBatches, type FetchedMessage } from '../../activities/imap/batch-reader';
import type { FolderPair } from '../../activities/imap/folder-plan';
import { expunge, updateFlags } from '../../activities/imap/folder-changes';
import { fetchSummaries, listMessages, selectFolder } from '../../activities/imap/inventory';
import type { MessagePlan } from '../../activities/imap/message-plan';
import { openSession, type ImapSession } from '../../activities/imap/session';
import { MAX_UID_SET_OCTETS, uidSet, uidSets } from '../../activities/imap/uid-sets';
import { writeInbox } from '../../scripts/bench/huge-maildir';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(90_000);

const COUNT = 4_000;
const BIG_UID = 1_000_000_000;
let hosts: Hosts;
let session: ImapSession;
const inbox = { path: 'INBOX', logical: 'INBOX', levels: ['INBOX'], sources: [{ path: 'INBOX', logical: 'INBOX' }] } as unknown as FolderPair;
const odd = Array.from({ length: COUNT / 2 }, (_, i) => 2 * i + 1);
const even = odd.map((uid) => uid + 1);
const listAll = async () => fetchSummaries(session, 'INBOX', '1:*', { byUid: false, identity: false });

beforeAll(async () => {
  hosts = await startHosts(['lena', 'mira'], { maxLineLength: 8192 });
  // Written straight into host1's Maildir, dated from 2015 on, a minute apart.
  writeInbox({ serverDir: hosts.host1.dir, user: 'lena', from: 0, count: COUNT, sub: 'cur' });
  // mira's UIDs are ten digits long, as in a mailbox that has seen much mail.
  const update = spawnSync('doveadm', ['-c', hosts.host1.conf, 'mailbox', 'update', '-u', 'mira', '--min-next-uid', String(BIG_UID), 'INBOX'], {
    encoding: 'utf8',
  });
  if (update.status !== 0) throw new Error(`doveadm mailbox update: ${update.stderr}`);
  writeInbox({ serverDir: hosts.host1.dir, user: 'mira', from: 0, count: 2_000, sub: 'cur' });
  session = await openSession('host1', hosts.request('lena').source, 'lena');
});
afterAll(async () => {
  await session?.close();
  await hosts?.stop();
});

it('cuts UID sets at a range boundary, each within the limit, and loses no UID', () => {
  expect(uidSets([1, 2, 3, 5, 8, 9])).toEqual(['1:3,5,8:9']);
  expect(uidSets([])).toEqual([]);
  expect(uidSets([1, 2, 3, 5, 8, 9], 5)).toEqual(['1:3,5', '8:9']);
  const sets = uidSets(odd);
  expect(sets.length).toBeGreaterThan(1);
  expect(sets.every((s) => s.length <= MAX_UID_SET_OCTETS)).toBe(true);
  expect(sets.join(',')).toBe(uidSet(odd));
});

it('lists a folder by a SEARCH result of 4,000 UIDs', async () => {
  const listing = await listMessages(session, 'INBOX', { mode: 'read-only', since: Date.UTC(2014, 0, 1), identity: false });
  expect(listing.olderNotListed).toBe(0);
  expect(listing.messages.map((m) => m.uid)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
});

it('sets the flags of 2,000 scattered messages, and only theirs', async () => {
  const plan = { flagUpdates: odd.map((uid) => ({ source: { flags: ['\\Flagged', '\\Seen'] }, destination: { uid } })) } as unknown as MessagePlan;
  expect(await updateFlags(session, inbox, plan)).toBe(COUNT / 2);
  await selectFolder(session, 'INBOX', 'read-only');
  const flagged = (await listAll()).filter((m) => m.flags.includes('\\Flagged')).map((m) => m.uid);
  expect(flagged).toEqual(odd);
});

it('expunges 2,000 scattered messages, and only those', async () => {
  await expunge(session, 'INBOX', even, 'expunging every other message');
  await selectFolder(session, 'INBOX', 'read-only');
  expect((await listAll()).map((m) => m.uid)).toEqual(odd);
});

it('reads a group of copy batches whose UIDs are too scattered for one command line, every message once and in its batch', async () => {
  const mira = await openSession('host1', hosts.request('mira').source, 'mira');
  try {
    const listing = await listMessages(mira, 'INBOX', { mode: 'read-only', identity: false });
    expect(listing.messages[0].uid).toBeGreaterThanOrEqual(BIG_UID);
    const toCopy = listing.messages.filter((_, i) => i % 2 === 0); // 1,000 messages, every other UID
    expect(uidSet(toCopy.map((m) => m.uid)).length).toBeGreaterThan(8192);
    const batches = Array.from({ length: 20 }, (_, b) => toCopy.slice(b * 50, (b + 1) * 50));
    const taken: FetchedMessage[][] = [];
    await readBatches(mira, 'INBOX', 'INBOX', batches, async (messages) => void taken.push(messages));
    expect(taken.map((batch) => batch.map((m) => m.summary.uid))).toEqual(batches.map((batch) => batch.map((m) => m.uid)));
    for (const m of taken.flat()) expect(m.content.length).toBe(m.summary.size);
  } finally {
    await mira.close();
  }
});
