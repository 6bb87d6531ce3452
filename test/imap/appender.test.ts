// activities/imap/appender.ts on real Dovecot servers: one server as Dovecot is (MULTIAPPEND,
// LITERAL+), one advertising neither. A recording proxy between client and server shows
// what went on the wire: one command per batch with non-synchronising literals where the
// server allows them, synchronising literals (waiting for "+") where it does not.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { expandUidSet, imapDateTime, modifiedUtf7, takeOver, type Appender, type OutgoingMessage } from '../../activities/imap/appender';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { connect, makeMessage } from './corpus';

jest.setTimeout(60_000);

/** A TCP proxy to `port` that keeps what the client sent. */
async function recordingProxy(port: number): Promise<{ port: number; sent: () => string; close: () => void }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const server = net.connect(port, '127.0.0.1');
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    sent: () => Buffer.concat(chunks).toString('latin1'),
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

const messages: OutgoingMessage[] = [
  { content: makeMessage({ messageId: '<m1@x>', subject: 'one', date: new Date(0), body: 'small' }), flags: ['\\Seen', '$Label1', 'Project-X'], internalDate: Date.UTC(2015, 2, 5, 9, 7, 3) },
  // Over 4 KiB: LITERAL- alone would not allow a non-synchronising literal for it.
  { content: makeMessage({ messageId: '<m2@x>', subject: 'two', date: new Date(0), body: 'y'.repeat(20_000) }), flags: [], internalDate: Date.UTC(2020, 11, 31, 23, 59, 59) },
  { content: makeMessage({ messageId: '<m3@x>', subject: 'three', date: new Date(0), body: 'Grüße, été', eightBit: true }), flags: ['\\Flagged'], internalDate: Date.UTC(2024, 0, 1) },
];

describe.each([
  { server: 'Dovecot as it is', capability: undefined, batched: true, literalPlus: true },
  { server: 'a server without MULTIAPPEND or LITERAL+', capability: 'IMAP4rev1 LITERAL- UIDPLUS', batched: false, literalPlus: false },
])('an Appender on $server', ({ capability, batched, literalPlus }) => {
  let server: DovecotServer;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let reader: ImapFlow;
  let appender: Appender;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mailshift-appender-'));
    server = await startDovecot({ name: 'host2', dir, layout: 'slash-no-prefix', users: [{ user: 'mia', password: 'mia-pw' }], imapCapability: capability });
    proxy = await recordingProxy(server.port);
    reader = await connect(server, 'mia', 'mia-pw');
    appender = takeOver(await connect({ ...server, port: proxy.port }, 'mia', 'mia-pw'));
  });
  afterAll(async () => {
    await appender?.close();
    await reader?.logout();
    proxy?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function stored(folder: string) {
    await reader.mailboxOpen(folder, { readOnly: true });
    const out = await reader.fetchAll('1:*', { uid: true, source: true, flags: true, internalDate: true });
    await reader.mailboxClose();
    return out;
  }

  it('stores the messages byte-exact, with their flags and dates, into a non-ASCII folder', async () => {
    await reader.mailboxCreate('Été/Batch');
    const outcome = await appender.append('Été/Batch', messages, { multiappend: true });
    expect(outcome.commands).toBe(batched ? 1 : 3);
    expect(outcome.uids).toHaveLength(3);
    const got = await stored('Été/Batch');
    expect(got.map((m) => m.uid)).toEqual(outcome.uids);
    got.forEach((m, i) => {
      expect(m.source!.equals(messages[i].content)).toBe(true);
      expect([...m.flags!].filter((f) => f !== '\\Recent').sort()).toEqual([...messages[i].flags].sort());
      expect(new Date(m.internalDate!).getTime()).toBe(messages[i].internalDate);
    });
    const wire = proxy.sent();
    const name = `"${modifiedUtf7('Été/Batch')}"`;
    expect(wire.split(`APPEND ${name}`)).toHaveLength(batched ? 2 : 4);
    // The 20 KB message: a non-synchronising literal only where LITERAL+ is offered.
    expect(wire).toContain(`{${messages[1].content.length}${literalPlus ? '+' : ''}}\r\n`);
    // The small one is non-synchronising either way (LITERAL-, RFC 7888).
    expect(wire).toContain(`{${messages[0].content.length}+}\r\n`);
  });

  it('sends one APPEND per message when asked', async () => {
    await reader.mailboxCreate('Single');
    const outcome = await appender.append('Single', messages, { multiappend: false });
    expect(outcome.commands).toBe(3);
    expect((await stored('Single')).map((m) => m.source!.toString())).toEqual(messages.map((m) => m.content.toString()));
  });

  it('a refused command stores none of its messages, says why, and leaves the connection usable', async () => {
    await reader.mailboxCreate('Refused');
    const empty: OutgoingMessage = { content: Buffer.alloc(0), flags: [], internalDate: Date.UTC(2020, 0, 1) };
    const err = await appender.append('Refused', [messages[0], empty, messages[2]], { multiappend: true }).then(
      () => undefined,
      (e: unknown) => e as { responseStatus?: string; responseText?: string },
    );
    expect(err?.responseStatus).toBe('NO');
    expect(err?.responseText).toBeTruthy();
    const status = await reader.status('Refused', { messages: true });
    // MULTIAPPEND refuses the whole command; one APPEND each stores the first before the empty one fails.
    expect(status && status.messages).toBe(batched ? 0 : 1);
    expect((await appender.append('Refused', [messages[0], messages[2]], { multiappend: true })).uids).toHaveLength(2);
  });

  it('a missing folder is refused with the server code [TRYCREATE]', async () => {
    await expect(appender.append('Nowhere', messages.slice(0, 2), { multiappend: true })).rejects.toMatchObject({ responseStatus: 'NO', serverResponseCode: 'TRYCREATE' });
  });
});

it('fails with a connection error, not a hang, when the server goes away mid-command', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-appender-'));
  const server = await startDovecot({ name: 'host2', dir, layout: 'slash-no-prefix', users: [{ user: 'mia', password: 'mia-pw' }] });
  const proxy = await recordingProxy(server.port);
  try {
    const appender = takeOver(await connect({ ...server, port: proxy.port }, 'mia', 'mia-pw'));
    const big: OutgoingMessage = { content: makeMessage({ messageId: '<big@x>', subject: 'big', date: new Date(0), body: 'z'.repeat(30_000_000) }), flags: [], internalDate: 0 };
    const pending = appender.append('INBOX', [big, big], { multiappend: true });
    setTimeout(() => proxy.close(), 50);
    // Codes errors.ts counts as a lost connection (a retryable failure).
    const lost = ['ECONNRESET', 'EPIPE', 'EConnectionClosed'];
    const code = await pending.then(
      () => 'stored',
      (e: { code?: string }) => e.code,
    );
    expect(lost).toContain(code);
    // And it stays failed, at once.
    await expect(appender.append('INBOX', [messages[0]], { multiappend: true })).rejects.toMatchObject({ code });
    await appender.close();
  } finally {
    proxy.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('names folders in modified UTF-7, formats IMAP dates and expands UID sets', () => {
  expect(modifiedUtf7('Archive/2024/Été')).toBe('Archive/2024/&AMk-t&AOk-');
  expect(modifiedUtf7('Projets/日本語')).toBe('Projets/&ZeVnLIqe-');
  expect(modifiedUtf7('R&D')).toBe('R&-D');
  expect(imapDateTime(Date.UTC(2015, 2, 5, 9, 7, 3))).toBe('05-Mar-2015 09:07:03 +0000');
  expect(expandUidSet('5:7,9')).toEqual([5, 6, 7, 9]);
});
