// A deterministic mailbox for the sync tests: the cases that break naive copiers. Messages
// with and without Message-ID, distinct messages sharing a Message-ID (same size even),
// byte-identical twins, flags and custom keywords, internal dates old and new, 8-bit
// bodies, a few large messages, nested and non-ASCII folders, Outlook's "Sent Items".
// Plus helpers to seed a Dovecot through imapflow's public APPEND and to read it back.
import { createHash } from 'node:crypto';
import { connectImap as connect, type DovecotServer } from '../../scripts/servers/dovecot';

export { connect };
import { prng } from '../../scripts/bench/corpus';

export interface CorpusMessage {
  /** Logical folder (levels joined by `/`, no namespace prefix). */
  folder: string;
  raw: Buffer;
  flags: string[];
  /** Whole seconds: IMAP internal dates have no milliseconds. */
  internalDate: Date;
  /** What the message is for, in assertion messages. */
  label: string;
}

const DAY = 24 * 3600 * 1000;

export interface MessageSpec {
  messageId?: string | null;
  subject: string;
  from?: string;
  date: Date;
  body: string;
  /** Extra header lines, verbatim. */
  headers?: string[];
  /** 8bit text/plain instead of 7bit. */
  eightBit?: boolean;
}

export function makeMessage(spec: MessageSpec): Buffer {
  const lines = [
    `Return-Path: <${spec.from ?? 'sender@example.net'}>`,
    `Received: from mx.example.net by mail.example.org with ESMTP; ${spec.date.toUTCString()}`,
    `From: Sender <${spec.from ?? 'sender@example.net'}>`,
    'To: Alice <alice@example.org>',
    `Subject: ${spec.subject}`,
    `Date: ${spec.date.toUTCString()}`,
    ...(spec.messageId ? [`Message-ID: ${spec.messageId}`] : []),
    ...(spec.headers ?? []),
    'MIME-Version: 1.0',
    `Content-Type: text/plain; charset=utf-8`,
    `Content-Transfer-Encoding: ${spec.eightBit ? '8bit' : '7bit'}`,
    '',
    ...spec.body.split('\n'),
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

function largeBody(rand: () => number, bytes: number): string {
  const chunk: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = Buffer.from(Array.from({ length: 57 }, () => Math.floor(rand() * 256))).toString('base64');
    chunk.push(line);
    size += line.length + 2;
  }
  return chunk.join('\n');
}

/** Whole seconds. */
function sec(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

export interface CorpusOptions {
  now?: number;
  /** Extra plain messages in INBOX (for throughput runs). */
  bulk?: number;
  /** Include the multi-megabyte messages (default true). */
  large?: boolean;
}

/**
 * The test mailbox. Dates: "recent" ones are within the last day, the others years old,
 * so maxAgeDays: 2 selects exactly the messages labelled `recent`.
 */
export function buildCorpus(options: CorpusOptions = {}): CorpusMessage[] {
  const now = options.now ?? Date.now();
  const rand = prng(20240601);
  const out: CorpusMessage[] = [];
  const add = (folder: string, label: string, spec: MessageSpec, flags: string[] = [], internalDate = spec.date) =>
    out.push({ folder, label, raw: makeMessage(spec), flags, internalDate: sec(internalDate.getTime()) });
  const old = (i: number) => sec(Date.UTC(2015, 0, 1) + i * 7 * DAY + i * 3_600_000);
  const flagSets = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Seen', '$Label1'], ['Project-X'], ['\\Answered', '\\Seen', 'Project-X', '$Label1']];

  for (let i = 0; i < 24; i++) {
    add(
      'INBOX',
      `inbox-${i}`,
      {
        messageId: `<inbox-${i}@example.net>`,
        subject: `Weekly report ${i}`,
        date: old(i),
        body: `Report number ${i}.\n${'Lorem ipsum dolor sit amet. '.repeat(1 + Math.floor(rand() * 40))}`,
      },
      flagSets[i % flagSets.length],
    );
  }
  for (let i = 0; i < 4; i++) {
    const d = sec(now - (i + 1) * 3_600_000);
    add('INBOX', `recent-${i}`, { messageId: `<recent-${i}@example.net>`, subject: `Today ${i}`, date: d, body: `Fresh mail ${i}` }, i % 2 ? ['\\Seen'] : []);
  }
  add(
    'INBOX',
    'eight-bit',
    {
      messageId: '<8bit@example.net>',
      subject: '=?utf-8?q?R=C3=A9sum=C3=A9?=',
      date: old(30),
      body: 'Grüße aus Köln — été, naïve, 日本語のテキスト.',
      eightBit: true,
    },
    ['\\Seen'],
  );
  // Two different messages that share a Message-ID and even the size (a list resending
  // with a fixed typo): both must arrive.
  add('INBOX', 'shared-id-a', { messageId: '<same@example.net>', subject: 'Shared id', date: old(40), body: 'Version AAAA' });
  add('INBOX', 'shared-id-b', { messageId: '<same@example.net>', subject: 'Shared id', date: old(40), body: 'Version BBBB' }, ['\\Seen']);
  // No Message-ID at all, identical headers, same size, different bodies (alerts from a
  // monitoring script in the same second).
  add('INBOX', 'no-id-a', { messageId: null, subject: 'ALERT disk', date: old(41), body: 'Code 1111' });
  add('INBOX', 'no-id-b', { messageId: null, subject: 'ALERT disk', date: old(41), body: 'Code 2222' });
  add('INBOX', 'no-id-c', { messageId: null, subject: 'Lonely, no id', date: old(42), body: 'Nothing to identify me' }, ['$Label1']);
  // Byte-identical twins: two messages, not one.
  const twin: MessageSpec = { messageId: '<twin@example.net>', subject: 'Twin', date: old(43), body: 'I was delivered twice' };
  add('INBOX', 'twin-1', twin, ['\\Seen']);
  add('INBOX', 'twin-2', twin, ['\\Seen']);
  for (let i = 0; i < (options.bulk ?? 0); i++) {
    add(
      'INBOX',
      `bulk-${i}`,
      {
        messageId: `<bulk-${i}@example.net>`,
        subject: `Bulk ${i}`,
        date: old(100 + (i % 400)),
        body: `Bulk message ${i}\n${'The quick brown fox jumps over the lazy dog. '.repeat(20 + Math.floor(rand() * 300))}`,
      },
      flagSets[i % flagSets.length],
    );
  }

  for (let i = 0; i < 5; i++) {
    add(
      'Sent Items',
      `sent-${i}`,
      { messageId: `<sent-${i}@example.org>`, from: 'alice@example.org', subject: `Re: question ${i}`, date: old(50 + i), body: `My answer ${i}` },
      ['\\Seen'],
    );
  }
  add('Drafts', 'draft', { messageId: '<draft@example.org>', from: 'alice@example.org', subject: 'Unfinished', date: old(60), body: 'Dear' }, [
    '\\Draft',
    '\\Seen',
  ]);
  add('Junk', 'junk', { messageId: '<junk@spam.example>', subject: 'You won', date: old(61), body: 'Click' }, ['$Junk']);
  for (let i = 0; i < 3; i++) {
    add('Archive', `archive-${i}`, { messageId: `<archive-${i}@example.net>`, subject: `Archived ${i}`, date: old(70 + i), body: `Old stuff ${i}` }, [
      '\\Seen',
    ]);
  }
  for (let i = 0; i < 2; i++) {
    add('Archive/2024', `archive-2024-${i}`, { messageId: `<a2024-${i}@example.net>`, subject: `2024 ${i}`, date: old(80 + i), body: `Year ${i}` }, [
      '\\Seen',
      'Project-X',
    ]);
  }
  if (options.large ?? true) {
    for (const [i, bytes] of [
      [0, 1_500_000],
      [1, 3_000_000],
    ]) {
      add('Archive/2024', `large-${i}`, { messageId: `<large-${i}@example.net>`, subject: `Scans ${i}`, date: old(85 + i), body: largeBody(rand, bytes) }, [
        '\\Seen',
      ]);
    }
  }
  for (let i = 0; i < 3; i++) {
    add(
      'Archive/2024/Été',
      `ete-${i}`,
      { messageId: `<ete-${i}@example.net>`, subject: `Vacances ${i}`, date: old(90 + i), body: `Plage ${i}`, eightBit: true },
      ['\\Seen', '$Label1'],
    );
  }
  for (let i = 0; i < 2; i++) {
    add('Projets/日本語', `nihongo-${i}`, {
      messageId: `<jp-${i}@example.net>`,
      subject: `Projet ${i}`,
      date: old(95 + i),
      body: `こんにちは ${i}`,
      eightBit: true,
    });
  }
  return out;
}

// ---- servers ---------------------------------------------------------------------------

/** A folder's name on a test server. */
export function serverPathOf(server: Pick<DovecotServer, 'layout'>, logical: string): string {
  if (logical.toUpperCase() === 'INBOX') return 'INBOX';
  return server.layout === 'inbox-prefix-dot' ? `INBOX.${logical.split('/').join('.')}` : logical;
}

/** And back. */
export function logicalOf(server: Pick<DovecotServer, 'layout'>, path: string): string {
  if (path.toUpperCase() === 'INBOX') return 'INBOX';
  return server.layout === 'inbox-prefix-dot'
    ? path
        .replace(/^INBOX\./, '')
        .split('.')
        .join('/')
    : path;
}

/** Appends the messages one by one with imapflow's public API (independent of the code under test). */
export async function seedMailbox(server: DovecotServer, user: string, password: string, messages: CorpusMessage[]): Promise<void> {
  const client = await connect(server, user, password);
  try {
    for (const folder of new Set(messages.map((m) => m.folder))) {
      await client.mailboxCreate(serverPathOf(server, folder));
    }
    for (const m of messages) {
      const res = await client.append(serverPathOf(server, m.folder), m.raw, m.flags, m.internalDate);
      if (!res) throw new Error(`seeding ${m.label} failed`);
    }
  } finally {
    await client.logout();
  }
}

export interface StoredMessage {
  folder: string;
  uid: number;
  sha256: string;
  size: number;
  flags: string[];
  internalDate: number;
  source: Buffer;
}

/** Everything in a mailbox, by logical folder (\Recent left out: the server sets it). */
export async function readMailbox(server: DovecotServer, user: string, password: string): Promise<StoredMessage[]> {
  const client = await connect(server, user, password);
  const out: StoredMessage[] = [];
  try {
    for (const f of await client.list()) {
      if (f.flags.has('\\Noselect') || f.flags.has('\\NonExistent')) continue;
      const box = await client.mailboxOpen(f.path, { readOnly: true });
      if (!box.exists) continue;
      for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
        out.push({
          folder: logicalOf(server, f.path),
          uid: m.uid,
          sha256: createHash('sha256').update(m.source!).digest('hex'),
          size: m.source!.length,
          flags: [...(m.flags ?? [])].filter((x) => x !== '\\Recent').sort(),
          internalDate: new Date(m.internalDate!).getTime(),
          source: m.source!,
        });
      }
    }
  } finally {
    await client.logout();
  }
  return out;
}

/** A message as a comparable string: folder, content hash, flags, internal date. */
export function fingerprint(m: { folder: string; flags: string[]; internalDate: number } & ({ sha256: string } | { raw: Buffer })): string {
  const sha = 'sha256' in m ? m.sha256 : createHash('sha256').update(m.raw).digest('hex');
  return `${m.folder} ${sha} [${[...m.flags].sort().join(' ')}] ${new Date(m.internalDate).toISOString()}`;
}

/** Sorted fingerprints: equal lists mean equal multisets of messages. */
export function fingerprints(messages: Parameters<typeof fingerprint>[0][]): string[] {
  return messages.map(fingerprint).sort();
}
