// The streamed reading of copy batches (activities/imap/batch-reader.ts) against a real
// Dovecot, through a proxy that records the commands: several batches per FETCH, each
// message handed over once, in its batch and UID order, while the consumer is slow;
// a message expunged in between is just absent; the consumer's failure is its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { readBatches, type FetchedMessage } from '../../activities/imap/batch-reader';
import { uidSet } from '../../activities/imap/uid-sets';
import { batchesByBytes, fetchSummaries, selectFolder } from '../../activities/imap/inventory';
import type { ImapSession } from '../../activities/imap/session';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { startImapProxy, type ImapProxy } from '../harness/imap-proxy';
import { connect, makeMessage } from './corpus';

jest.setTimeout(60_000);

let server: DovecotServer;
let proxy: ImapProxy;
let dir: string;
let client: ImapFlow;
let session: ImapSession;
const raw = (i: number) =>
  makeMessage({ messageId: `<r${i}@x>`, subject: `message ${i}`, date: new Date(Date.UTC(2024, 0, 1 + i)), body: `body ${i}\n`.repeat(i + 1) });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-batch-reader-'));
  server = await startDovecot({ name: 'host1', dir, layout: 'slash-no-prefix', users: [{ user: 'rita', password: 'rita-pw' }] });
  const seeder = await connect(server, 'rita', 'rita-pw');
  for (let i = 1; i <= 23; i++) await seeder.append('INBOX', raw(i), [], new Date(Date.UTC(2024, 0, i)));
  await seeder.logout();
  proxy = await startImapProxy(server);
  client = await connect({ ...server, port: proxy.port }, 'rita', 'rita-pw');
  session = {
    side: 'host1',
    client,
    ctx: { side: 'host1', mailbox: 'rita', user: 'rita', redact: (t) => t },
    namespace: { prefix: '', delimiter: '/' },
    multiappend: true,
    close: () => client.logout(),
  };
});
afterAll(async () => {
  await client?.logout();
  await proxy?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const bodyFetches = () => proxy.clientLines().filter((l) => / UID FETCH .*BODY\.PEEK\[\]/i.test(l));

it('packs UIDs into ranges', () => {
  expect(uidSet([1, 2, 3, 5, 8, 9])).toBe('1:3,5,8:9');
  expect(uidSet([7])).toBe('7');
});

it('streams several batches per FETCH, each message once and in order, however slow the consumer', async () => {
  await selectFolder(session, 'INBOX', 'read-only');
  const summaries = await fetchSummaries(session, 'INBOX', '1:*', { byUid: false });
  const batches = batchesByBytes(summaries, 1024 ** 2, 3); // 8 batches of 3 (the last of 2)
  const before = bodyFetches().length;
  const seen: FetchedMessage[][] = [];
  await readBatches(
    session,
    'INBOX',
    'INBOX',
    batches,
    async (messages) => {
      seen.push(messages);
      await new Promise((r) => setTimeout(r, 20)); // host2 storing it
    },
    10,
  );
  // 10 messages per FETCH at most: batches of 3 go 3 to a command (9, 9, 5 messages).
  expect(bodyFetches().length - before).toBe(3);
  expect(seen.map((b) => b.map((m) => m.summary.uid))).toEqual(batches.map((b) => b.map((m) => m.uid)));
  for (const m of seen.flat()) expect(m.content.equals(raw(Number(/message (\d+)/.exec(m.content.toString())![1])))).toBe(true);
});

it('leaves out a message expunged since the listing; the consumer failing fails the read with its own error', async () => {
  await selectFolder(session, 'INBOX', 'read-only');
  const summaries = await fetchSummaries(session, 'INBOX', '1:*', { byUid: false });
  const other = await connect(server, 'rita', 'rita-pw');
  await other.mailboxOpen('INBOX');
  await other.messageDelete(String(summaries[4].uid), { uid: true });
  await other.logout();
  const batches = batchesByBytes(summaries, 1024 ** 2, 3);
  const seen: number[][] = [];
  await readBatches(session, 'INBOX', 'INBOX', batches, async (messages) => void seen.push(messages.map((m) => m.summary.uid)));
  expect(seen).toEqual(batches.map((b) => b.map((m) => m.uid).filter((u) => u !== summaries[4].uid)));

  const refused = new Error('host2 said no');
  let calls = 0;
  await expect(
    readBatches(session, 'INBOX', 'INBOX', batches, async () => {
      if (++calls === 2) throw refused;
    }),
  ).rejects.toBe(refused);
  expect(calls).toBe(2);
  // The connection is still in step: the rest of the FETCH was read and dropped.
  expect((await fetchSummaries(session, 'INBOX', '1:*', { byUid: false })).length).toBe(summaries.length - 1);
});
