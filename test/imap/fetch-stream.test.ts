// Our FETCH reader (activities/imap/fetch-stream.ts) against a real Dovecot: it reads what
// imapflow's own fetch() reads, byte for byte, however the server's bytes are cut into
// chunks; everything that is not one of our rows reaches imapflow, in order; a failing
// consumer fails the call without breaking the connection.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { fetchRows, type FetchedRow, type FetchRequest } from '../../activities/imap/fetch-stream';
import { responseStreamOf } from '../../activities/imap/imapflow-internals';
import type * as ImapflowTools from 'imapflow/dist/cjs/tools';
import { IDENTITY_HEADERS } from '../../activities/imap/message-identity';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { buildCorpus, connect, makeMessage, seedMailbox, serverPathOf } from './corpus';

jest.setTimeout(120_000);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tools = require('imapflow/lib/tools.js') as typeof ImapflowTools;

let server: DovecotServer;
let dir: string;
let chopper: net.Server;
const corpus = buildCorpus({ now: Date.UTC(2026, 5, 1) });
const folders = [...new Set(corpus.map((m) => m.folder))];

// A relay that hands the server's bytes over in pieces of 1, 2, 3, 5, 8… bytes (up to 4 KB),
// each on its own turn of the event loop: lines, literal markers and CRLFs split everywhere.
const PIECES = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181];
async function startChopper(target: DovecotServer): Promise<net.Server> {
  const relay = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream);
    let turn = 0;
    let queue = Promise.resolve();
    upstream.on('data', (data: Buffer) => {
      upstream.pause();
      queue = queue.then(async () => {
        for (let at = 0; at < data.length;) {
          const n = PIECES[turn++ % PIECES.length];
          client.write(data.subarray(at, at + n));
          at += n;
          await new Promise((resolve) => setImmediate(resolve));
        }
        upstream.resume();
      });
    });
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return relay;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-fetch-stream-'));
  server = await startDovecot({ name: 'host1', dir, layout: 'slash-no-prefix', users: [{ user: 'rita', password: 'rita-pw' }] });
  await seedMailbox(server, 'rita', 'rita-pw', corpus);
  // A keyword our reader leaves to imapflow ("!" is an atom character, but not one it reads).
  const seeder = await connect(server, 'rita', 'rita-pw');
  await seeder.append(serverPathOf(server, 'Junk'), makeMessage({ messageId: '<odd@x>', subject: 'odd', date: new Date(Date.UTC(2020, 1, 2)), body: 'odd' }), [
    'Urgent!',
  ]);
  await seeder.logout();
  chopper = await startChopper(server);
});
afterAll(async () => {
  await new Promise((resolve) => chopper?.close(resolve));
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const viaChopper = () => connect({ host: '127.0.0.1', port: (chopper.address() as net.AddressInfo).port }, 'rita', 'rita-pw');

/** What imapflow's public fetch() reads, in our row's terms. */
async function imapflowRows(client: ImapFlow, request: FetchRequest): Promise<FetchedRow[]> {
  const rows: FetchedRow[] = [];
  const query = {
    uid: true,
    flags: request.flags,
    size: request.size,
    internalDate: request.internalDate,
    source: request.source,
    headers: request.headers ? [...request.headerFields!] : undefined,
  };
  for await (const m of client.fetch(request.range, query, { uid: request.byUid })) {
    rows.push({
      uid: m.uid,
      ...(request.size && { size: m.size }),
      ...(request.internalDate && { internalDate: new Date(m.internalDate!).getTime() }),
      ...(request.flags && { flags: [...m.flags!].sort() }),
      ...(request.headers && { headers: m.headers }),
      ...(request.source && { source: m.source }),
    });
  }
  return rows;
}

async function ourRows(client: ImapFlow, request: FetchRequest): Promise<FetchedRow[]> {
  const rows: FetchedRow[] = [];
  await fetchRows(client, request, (row) => {
    rows.push({ ...row, ...(row.flags && { flags: [...row.flags].sort() }) });
  });
  return rows;
}

/** Bytes as digests: jest compares a Buffer byte by byte, slowly. */
const comparable = ({ source, headers, ...rest }: FetchedRow) => ({ ...rest, source: source && digest(source), headers: headers && digest(headers) });
const digest = (b: Buffer) => `${b.length}:${createHash('sha1').update(b).digest('hex')}`;

const LISTING: Omit<FetchRequest, 'range' | 'byUid'> = { size: true, flags: true, internalDate: true };
const IDENTITY: Omit<FetchRequest, 'range' | 'byUid'> = { ...LISTING, headers: true, headerFields: IDENTITY_HEADERS };

it.each([
  ['whole chunks', false],
  ['chunks cut everywhere', true],
])('reads every folder as imapflow does: listings, identity headers and bodies (%s)', async (_name, chopped) => {
  const ours = chopped ? await viaChopper() : await connect(server, 'rita', 'rita-pw');
  const theirs = await connect(server, 'rita', 'rita-pw');
  const format = jest.spyOn(tools, 'formatMessageResponse');
  try {
    expect(responseStreamOf(ours)).toBeDefined();
    let bodies = 0;
    for (const folder of folders) {
      await ours.mailboxOpen(serverPathOf(server, folder), { readOnly: true });
      await theirs.mailboxOpen(serverPathOf(server, folder), { readOnly: true });
      for (const request of [
        { range: '1:*', byUid: false, ...LISTING },
        { range: '1:*', byUid: false, ...IDENTITY },
        { range: '1:*', byUid: true, source: true },
      ]) {
        const expected = await imapflowRows(theirs, request);
        expect((await ourRows(ours, request)).map(comparable)).toEqual(expected.map(comparable));
        if (request.source) bodies += expected.length;
      }
    }
    expect(bodies).toBe(corpus.length + 1);
    // imapflow read only the rows with the odd keyword (its listing, with and without headers).
    const byImapflow = format.mock.calls.filter((call) => call[3] === ours);
    expect(byImapflow.map((call) => (call[0] as { command: string }).command)).toEqual(['2', '2']);
  } finally {
    format.mockRestore();
    await ours.logout();
    await theirs.logout();
  }
});

it('reads only the UIDs asked for, and a message set of them', async () => {
  const client = await connect(server, 'rita', 'rita-pw');
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const rows = await ourRows(client, { range: '2:4,7', byUid: true, source: true, uids: new Set([2, 3, 4, 7]) });
    expect(rows.map((r) => r.uid)).toEqual([2, 3, 4, 7]);
    const stored = corpus.filter((m) => m.folder === 'INBOX');
    expect(rows.map((r) => digest(r.source!))).toEqual([2, 3, 4, 7].map((uid) => digest(stored[uid - 1].raw)));
  } finally {
    await client.logout();
  }
});

it('hands everything else to imapflow, in order: mail arriving and flags changing during a FETCH', async () => {
  const reader = await connect(server, 'rita', 'rita-pw');
  const other = await connect(server, 'rita', 'rita-pw');
  const flagEvents: { seq?: number; flags: Set<string> }[] = [];
  reader.on('flags', (e: { seq?: number; flags: Set<string> }) => flagEvents.push(e));
  try {
    const mailbox = await reader.mailboxOpen('INBOX');
    const before = mailbox.exists;
    await other.mailboxOpen('INBOX');
    let rows = 0;
    await fetchRows(reader, { range: '1:*', byUid: true, source: true }, async () => {
      // While the reader is in the middle of its FETCH: a new message, a flag on message 1.
      if (++rows === 3) {
        await other.append('INBOX', makeMessage({ messageId: '<late@x>', subject: 'late', date: new Date(), body: 'arrived during the fetch' }), []);
        await other.messageFlagsAdd('1', ['$Seen-Elsewhere'], { uid: true });
      }
    });
    expect(rows).toBe(before);
    // Dovecot tells the reader at its next command at the latest; imapflow must have it.
    await reader.noop();
    expect(reader.mailbox && reader.mailbox.exists).toBe(before + 1);
    expect(flagEvents.some((e) => e.seq === 1 && e.flags.has('$Seen-Elsewhere'))).toBe(true);
    // And the connection reads on as ever.
    expect((await ourRows(reader, { range: '1:*', byUid: false, ...LISTING })).length).toBe(before + 1);
  } finally {
    await other.messageFlagsRemove('1', ['$Seen-Elsewhere'], { uid: true });
    await other.messageDelete({ header: { 'message-id': '<late@x>' } });
    await reader.logout();
    await other.logout();
  }
});

it('fails with the consumer’s error once the command is over, and the connection reads on', async () => {
  const client = await viaChopper();
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const seen: number[] = [];
    const failing = fetchRows(client, { range: '1:*', byUid: true, source: true }, (row) => {
      seen.push(row.uid);
      if (seen.length === 3) throw new Error('the consumer gave up');
    });
    await expect(failing).rejects.toThrow('the consumer gave up');
    expect(seen).toHaveLength(3);
    const again = await ourRows(client, { range: '1:5', byUid: false, ...LISTING });
    expect(again.map((r) => r.uid)).toEqual([1, 2, 3, 4, 5]);
  } finally {
    await client.logout();
  }
});

it('fails as imapflow does when the server refuses the FETCH', async () => {
  const client = await connect(server, 'rita', 'rita-pw');
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    await expect(fetchRows(client, { range: '0', byUid: true, source: true }, () => undefined)).rejects.toMatchObject({ responseStatus: 'BAD' });
    expect((await ourRows(client, { range: '1', byUid: false, ...LISTING })).length).toBe(1);
  } finally {
    await client.logout();
  }
});
