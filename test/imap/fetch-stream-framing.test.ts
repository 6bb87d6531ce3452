// How our FETCH reader (activities/imap/fetch-tap.ts) shares imapflow's own response
// stream (its ImapStream, fed bytes as the socket would): our rows are read by us, every
// other response reaches imapflow byte for byte and in order, wherever the chunks are cut;
// it starts only where imapflow holds nothing of a response, gives back what it holds when
// stopped, and leaves what is too large for it to imapflow's limits.
import type { Transform } from 'node:stream';
import type { FetchedRow } from '../../activities/imap/fetch-row';
import { tapRows } from '../../activities/imap/fetch-tap';
import type { ResponseStream } from '../../activities/imap/imapflow-internals';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ImapStream } = require('imapflow/lib/handler/imap-stream.js') as { ImapStream: new () => Transform & ResponseStream };

interface Emitted {
  payload: string;
  literals: string[];
}

/** imapflow's stream, with what it emits collected (each item released, as its reader does). */
function imapflowStream() {
  const stream = new ImapStream();
  const emitted: Emitted[] = [];
  stream.on('data', (item: { payload: Buffer; literals: Buffer[]; next: () => void }) => {
    emitted.push({ payload: item.payload.toString('latin1'), literals: item.literals.map((l) => l.toString('latin1')) });
    item.next();
  });
  const write = (chunk: string | Buffer) => new Promise<void>((resolve, reject) => stream.write(Buffer.from(chunk), (err) => (err ? reject(err) : resolve())));
  return { stream, emitted, write };
}

const row = (seq: number, uid: number, body: string) => `* ${seq} FETCH (UID ${uid} BODY[] {${body.length}}\r\n${body})\r\n`;
const TRANSCRIPT = [
  row(1, 11, 'Subject: a\r\n\r\nfirst\r\n'),
  '* 3 EXPUNGE\r\n',
  '* 2 FETCH (UID 12 BODY[] NIL)\r\n',
  row(4, 14, 'Subject: b\r\n\r\n{5}\r\n) * 9 FETCH\r\n'),
  '* 5 FETCH (UID 15 X-ODD 1 BODY[] {3}\r\nxyz)\r\n',
  '* 6 FETCH (FLAGS (\\Seen))\r\n',
  row(7, 17, ''),
  'A7 OK Fetch completed.\r\n',
].join('');
const NOT_OURS: Emitted[] = [
  { payload: '* 3 EXPUNGE', literals: [] },
  { payload: '* 2 FETCH (UID 12 BODY[] NIL)', literals: [] },
  { payload: '* 5 FETCH (UID 15 X-ODD 1 BODY[] {3}\r\n)', literals: ['xyz'] },
  { payload: '* 6 FETCH (FLAGS (\\Seen))', literals: [] },
  { payload: 'A7 OK Fetch completed.', literals: [] },
];

function reading() {
  const rows: { uid: number; source?: string }[] = [];
  const deliver = async (r: FetchedRow) => {
    rows.push({ uid: r.uid, source: r.source?.toString('latin1') });
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { rows, deliver };
}

it.each([1, 2, 3, 7, 16, 64, 1000])('reads its rows and hands imapflow the rest, in order, in chunks of %i bytes', async (size) => {
  const { stream, emitted, write } = imapflowStream();
  const { rows, deliver } = reading();
  const tap = tapRows(stream, { source: true }, deliver);
  const bytes = Buffer.from(TRANSCRIPT, 'latin1');
  for (let at = 0; at < bytes.length; at += size) await write(bytes.subarray(at, at + size));
  tap.stop();
  expect(rows).toEqual([
    { uid: 11, source: 'Subject: a\r\n\r\nfirst\r\n' },
    { uid: 14, source: 'Subject: b\r\n\r\n{5}\r\n) * 9 FETCH\r\n' },
    { uid: 17, source: '' },
  ]);
  expect(emitted).toEqual(NOT_OURS);
});

it('reads only the UIDs it was asked for', async () => {
  const { stream, emitted, write } = imapflowStream();
  const { rows, deliver } = reading();
  const tap = tapRows(stream, { source: true, uids: new Set([14]) }, deliver);
  await write(TRANSCRIPT);
  tap.stop();
  expect(rows.map((r) => r.uid)).toEqual([14]);
  expect(emitted.map((e) => e.payload.slice(0, 18))).toEqual([
    '* 1 FETCH (UID 11 ',
    ...NOT_OURS.slice(0, 4).map((e) => e.payload.slice(0, 18)),
    '* 7 FETCH (UID 17 ',
    'A7 OK Fetch comple',
  ]);
});

it('starts only where imapflow holds nothing of a response', async () => {
  const { stream, emitted, write } = imapflowStream();
  const { rows, deliver } = reading();
  // imapflow is in the middle of a message (from before the command) that quotes a row.
  const quoted = `Subject: quoting\r\n\r\n${row(1, 11, 'fake')}`;
  const before = `* 3 FETCH (UID 3 BODY[] {${quoted.length}}\r\n`;
  await write(before + quoted.slice(0, 10));
  const tap = tapRows(stream, { source: true }, deliver);
  await write(`${quoted.slice(10)})\r\n`);
  await write(row(2, 12, 'real'));
  tap.stop();
  expect(emitted).toEqual([{ payload: '* 3 FETCH (UID 3 BODY[] {' + quoted.length + '}\r\n)', literals: [quoted] }]);
  expect(rows).toEqual([{ uid: 12, source: 'real' }]);
});

it('gives imapflow back the response it holds when the command ends', async () => {
  const { stream, emitted, write } = imapflowStream();
  const { deliver } = reading();
  const tap = tapRows(stream, { source: true }, deliver);
  await write('A7 OK done\r\n* 5 EXI');
  tap.stop();
  await write('STS\r\n');
  expect(emitted).toEqual([
    { payload: 'A7 OK done', literals: [] },
    { payload: '* 5 EXISTS', literals: [] },
  ]);
});

it('leaves a line too long for it to imapflow', async () => {
  const { stream, emitted, write } = imapflowStream();
  const { rows, deliver } = reading();
  const tap = tapRows(stream, { source: true }, deliver);
  const long = `* OK ${'x'.repeat(70_000)}`;
  await write(long.slice(0, 40_000));
  await write(long.slice(40_000));
  await write(`\r\n${row(1, 11, 'after')}`);
  tap.stop();
  expect(emitted.map((e) => e.payload.length)).toEqual([long.length, row(1, 11, 'after').length - 'after'.length - 2]);
  expect(rows).toEqual([]);
});
