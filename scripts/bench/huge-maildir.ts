// The mail of `npm run bench:sync -- --huge`: one INBOX of many small messages (1–3 KB,
// CRLF lines, unique Message-IDs, a third unread), written as Maildir files straight
// into host1's storage (scale-maildir.ts): 200,000 take a minute, where APPEND would
// take many. Returns each message's fingerprint (verify.ts) for the read-back.
import path from 'node:path';
import { prng } from './corpus';
import { makeMaildir, owner, writeMessage } from './scale-maildir';
import { fingerprint } from './verify';
import type { Expected } from './seed';

const WORDS = 'mailbox folder message server migration quota archive invoice meeting report draft review budget schedule project'.split(' ');

function smallMessage(n: number, date: number, rand: () => number): string {
  const d = new Date(date).toUTCString().replace('GMT', '+0000');
  const head = [
    `From: Sender ${n % 211} <sender${n % 211}@example.net>`,
    'To: Bench User <bench@example.org>',
    `Subject: ${WORDS[n % WORDS.length]} ${n}`,
    `Date: ${d}`,
    `Message-ID: <huge-${n}@example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  ].join('\r\n');
  const lines: string[] = [];
  for (let size = 0, target = 700 + Math.floor(rand() * 2000); size < target;) {
    const line = Array.from({ length: 10 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
    lines.push(line);
    size += line.length + 2;
  }
  return `${head}\r\n\r\n${lines.join('\r\n')}\r\n`;
}

/**
 * Writes messages `from` … `from + count - 1` into `user`'s INBOX: into `cur/` with
 * flags (a mailbox as it was), or into `new/` (mail delivered since).
 */
export function writeInbox(o: { serverDir: string; user: string; from: number; count: number; sub: 'cur' | 'new' }): { expected: Expected[]; bytes: number } {
  const own = owner(o.serverDir);
  const dir = path.join(o.serverDir, 'mail', o.user);
  makeMaildir(dir, own, false);
  const rand = prng(77 + o.from);
  const base = Date.UTC(2015, 0, 1);
  const expected: Expected[] = [];
  let bytes = 0;
  for (let n = o.from; n < o.from + o.count; n++) {
    const date = base + n * 60_000;
    const raw = smallMessage(n, date, rand);
    const seen = o.sub === 'cur' && n % 3 !== 0;
    const size = writeMessage(dir, o.sub, raw, date, seen ? 'S' : '', own);
    bytes += size;
    expected.push({ folder: 'INBOX', fp: fingerprint('INBOX', Buffer.from(raw), seen ? ['\\Seen'] : [], date), size });
  }
  return { expected, bytes };
}
