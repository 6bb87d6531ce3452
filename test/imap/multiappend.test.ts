// Canary for the imapflow internals activities/imap/multiappend.ts relies on (exec(),
// encodePath, enhanceCommandError): if an imapflow upgrade changes them, this file fails
// first and says so. Also checks RFC 3502 behaviour on a real Dovecot: one command stores
// several messages byte-exact, and a refused command stores none of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImapFlow } from 'imapflow';
import {
  appendMessages,
  expandUidSet,
  imapDateTime,
  multiappendInternalsAvailable,
  plainMessageText,
  type OutgoingMessage,
} from '../../activities/imap/multiappend';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { startImapProxy } from '../harness/imap-proxy';
import { connect, makeMessage } from './corpus';

jest.setTimeout(60_000);

let server: DovecotServer;
let dir: string;
let client: ImapFlow;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-multiappend-'));
  server = await startDovecot({ name: 'host2', dir, layout: 'slash-no-prefix', users: [{ user: 'mia', password: 'mia-pw' }] });
  client = await connect(server, 'mia', 'mia-pw');
});
afterAll(async () => {
  await client?.logout();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function stored(folder: string) {
  await client.mailboxOpen(folder, { readOnly: true });
  const out = await client.fetchAll('1:*', { uid: true, source: true, flags: true, internalDate: true });
  await client.mailboxClose();
  return out;
}

const messages: OutgoingMessage[] = [
  {
    content: makeMessage({ messageId: '<m1@x>', subject: 'one', date: new Date(0), body: 'small' }),
    flags: ['\\Seen', '$Label1', 'Project-X'],
    internalDate: Date.UTC(2015, 2, 5, 9, 7, 3),
  },
  // Over 4 KiB: a synchronizing literal, so the compiler must wait for the server's "+".
  {
    content: makeMessage({ messageId: '<m2@x>', subject: 'two', date: new Date(0), body: 'y'.repeat(20_000) }),
    flags: [],
    internalDate: Date.UTC(2020, 11, 31, 23, 59, 59),
  },
  {
    content: makeMessage({ messageId: '<m3@x>', subject: 'three', date: new Date(0), body: 'Grüße, été', eightBit: true }),
    flags: ['\\Flagged'],
    internalDate: Date.UTC(2024, 0, 1),
  },
];

it('runs on the imapflow version and internals it was written for', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('imapflow/package.json') as { version: string };
  expect(version).toMatch(/^2\.10\./); // upgrading? re-read multiappend.ts, then widen this
  expect(multiappendInternalsAvailable(client)).toBe(true);
  expect(client.capabilities.has('MULTIAPPEND')).toBe(true);
});

it('stores several messages with one APPEND command, byte-exact, with flags and dates', async () => {
  await client.mailboxCreate('Été/Batch');
  const outcome = await appendMessages(client, 'Été/Batch', messages, { multiappend: true });
  expect(outcome.commands).toBe(1);
  // One APPENDUID answer carrying three UIDs: one command stored them all.
  expect(outcome.uids).toHaveLength(3);
  const got = await stored('Été/Batch');
  expect(got.map((m) => m.uid)).toEqual(outcome.uids);
  got.forEach((m, i) => {
    expect(m.source!.equals(messages[i].content)).toBe(true);
    expect([...m.flags!].filter((f) => f !== '\\Recent').sort()).toEqual([...messages[i].flags].sort());
    expect(new Date(m.internalDate!).getTime()).toBe(messages[i].internalDate);
  });
});

it('sends messages over 4 KiB without waiting for the server between them (LITERAL+)', async () => {
  const proxy = await startImapProxy(server);
  const viaProxy = await connect({ host: server.host, port: proxy.port }, 'mia', 'mia-pw');
  try {
    expect(viaProxy.capabilities.has('LITERAL+')).toBe(true);
    await viaProxy.mailboxCreate('Plus');
    const big = messages.map((m, i) => ({
      ...m,
      content: makeMessage({ messageId: `<big${i}@x>`, subject: 'big', date: new Date(0), body: 'z'.repeat(9_000 * (i + 1)) }),
    }));
    const before = proxy.serverLines().length;
    const outcome = await appendMessages(viaProxy, 'Plus', big, { multiappend: true });
    expect(outcome.uids).toHaveLength(3);
    // The server asked for nothing: no "+" continuation, every literal announced as {N+}.
    expect(proxy.serverLines().slice(before)).toEqual([expect.stringMatching(/^\w+ OK \[APPENDUID /)]);
    expect(proxy.clientLines().find((l) => / APPEND /.test(l))).toMatch(/\{\d{4,}\+\}$/);
    expect((await stored('Plus')).map((m) => m.source!.toString())).toEqual(big.map((m) => m.content.toString()));
  } finally {
    await viaProxy.logout();
    await proxy.close();
  }
});

it('hands each message to the socket as it is: no copy of the batch in one command buffer', async () => {
  await client.mailboxCreate('Frames');
  const socket = (client as unknown as { writeSocket: { write: (chunk: Buffer) => boolean } }).writeSocket;
  const written: Buffer[] = [];
  const write = socket.write;
  socket.write = function (this: unknown, chunk: Buffer) {
    written.push(chunk);
    return write.call(this, chunk);
  };
  try {
    await appendMessages(client, 'Frames', messages, { multiappend: true });
  } finally {
    socket.write = write;
  }
  // imapflow joins a small last frame with the command's final CRLF: that copy is a few bytes.
  for (const m of messages.slice(0, -1)) expect(written.filter((chunk) => chunk === m.content)).toHaveLength(1);
  // What is written is the command: the same bytes Dovecot stored.
  const wire = Buffer.concat(written).toString('latin1');
  expect(wire).toMatch(/^\w+ APPEND Frames \(\\Seen \$Label1 Project-X\) "05-Mar-2015 09:07:03 \+0000" \{\d+\+\}\r\n/);
  expect(wire.endsWith(`${messages[2].content.toString('latin1')}\r\n`)).toBe(true);
  expect((await stored('Frames')).map((m) => m.source!.toString('latin1'))).toEqual(messages.map((m) => m.content.toString('latin1')));
});

it('falls back to one APPEND per message when asked', async () => {
  await client.mailboxCreate('Single');
  const outcome = await appendMessages(client, 'Single', messages, { multiappend: false });
  expect(outcome.commands).toBe(3);
  expect((await stored('Single')).map((m) => m.source!.toString())).toEqual(messages.map((m) => m.content.toString()));
});

it('a refused MULTIAPPEND stores none of its messages, and the error carries the server text', async () => {
  await client.mailboxCreate('Refused');
  const empty: OutgoingMessage = { content: Buffer.alloc(0), flags: [], internalDate: Date.UTC(2020, 0, 1) };
  const err = await appendMessages(client, 'Refused', [messages[0], empty, messages[2]], { multiappend: true }).then(
    () => undefined,
    (e: unknown) => e as { responseStatus?: string; responseText?: string },
  );
  expect(err?.responseStatus).toBe('NO');
  expect(err?.responseText).toBeTruthy();
  const status = await client.status('Refused', { messages: true });
  expect(status && status.messages).toBe(0);
  // The connection is still usable afterwards.
  expect((await appendMessages(client, 'Refused', [messages[0], messages[2]], { multiappend: true })).uids).toHaveLength(2);
});

it('formats IMAP dates and expands UID sets', () => {
  expect(imapDateTime(Date.UTC(2015, 2, 5, 9, 7, 3))).toBe('05-Mar-2015 09:07:03 +0000');
  expect(expandUidSet('5:7,9')).toEqual([5, 6, 7, 9]);
});

it('writes a plain flag list and date as imapflow’s compiler does, and leaves anything else to it', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compiler } = require('imapflow/lib/handler/imap-handler.js') as { compiler: (c: object) => Buffer };
  const date = { type: 'STRING', value: imapDateTime(Date.UTC(2015, 2, 5, 9, 7, 3)) };
  const flags = (...names: string[]) => names.map((value) => ({ type: 'ATOM', value }));
  for (const text of [
    [flags(), date],
    [flags('\\Seen'), date],
    [flags('\\Answered', '\\Flagged', '$Label1', 'Project-X', 'a.b_c', 'NonJunk'), date],
    [flags('\\Seen'), { type: 'STRING', value: ' 5-Mar-2015 09:07:03 -0800' }],
  ]) {
    expect(plainMessageText(text)?.toString('latin1')).toBe(compiler({ attributes: text }).toString('latin1'));
  }
  for (const text of [
    [flags('Urgent!'), date],
    [flags('a b'), date],
    [flags('\\Seen'), { type: 'STRING', value: 'March 5' }],
    [flags('\\Seen'), { type: 'STRING', value: '05-Mar-2015 09:07:03 +0000"' }],
    [flags('\\Seen'), date, date],
    [{ type: 'ATOM', value: 'INBOX' }, flags('\\Seen'), date],
  ]) {
    expect(plainMessageText(text)).toBeUndefined();
  }
});
