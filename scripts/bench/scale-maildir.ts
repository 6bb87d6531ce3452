// Seeding many small mailboxes fast for `npm run bench:scale`: messages are written as
// Maildir files straight into a Dovecot instance's mail directory (scripts/servers/dovecot.ts
// stores `<dir>/mail/<user>`; with the `inbox-prefix-dot` layout that is Maildir++: INBOX
// in the user's directory itself, folder `Sent` in `.Sent`). Dovecot indexes the files
// the first time the mailbox is opened. A file's mtime is the message's internal date,
// its `:2,` suffix its flags. Thousands of users take seconds this way, where IMAP
// APPEND would take minutes.
import { chownSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { prng } from './corpus';

export interface SeededMessage {
  /** Logical folder: INBOX or Sent. */
  folder: 'INBOX' | 'Sent';
  bytes: number;
  /** Internal date, epoch ms. */
  date: number;
}

export interface SeedOptions {
  /** host1's Dovecot directory (layout inbox-prefix-dot). */
  serverDir: string;
  user: string;
  /** The user's index: decides (deterministically) how many messages and how old. */
  index: number;
}

const WORDS =
  'the of and to in is you that it for on are as with they at be this have from or one had by but not what all were we when your can said there use an each which do how if will up other about out many then them these so some would make like time has look two more write see number no way could people than first been call who its now find long down day did get come made may part migration mailbox server folder message'.split(
    ' ',
  );

const DAY = 86_400_000;
/** Ages of the seeded messages: most older than the post-sync's one-day window, one inside it. */
const AGES_DAYS = [400, 90, 30, 7, 0.25];
const FLAG_SUFFIXES = ['S', '', 'FS', 'RS', 'S'];

let sequence = 0;
const host = hostname().replace(/[/:]/g, '_');

function body(rand: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const words: string[] = [];
    while (words.join(' ').length < 66) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
    const line = words.join(' ');
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function message(user: string, n: number, date: number, rand: () => number, tag: string): string {
  const d = new Date(date).toUTCString().replace('GMT', '+0000');
  const size = 2_000 + Math.floor(rand() * 8_000);
  const headers = [
    `Return-Path: <sender${n}@example.net>`,
    `From: Sender ${n} <sender${n}@example.net>`,
    `To: ${user} <${user}@example.test>`,
    `Subject: ${tag} message ${n} for ${user}`,
    `Date: ${d}`,
    `Message-ID: <scale-${tag}-${user}-${n}@example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ].join('\n');
  const head = `${headers}\n\n`;
  return `${head}${body(rand, Math.max(200, size - head.length))}\n`;
}

/** Dovecot's mail files must belong to the mail user (startDovecot chowns `mail/` to it). */
export function owner(serverDir: string): { uid: number; gid: number } {
  const s = statSync(path.join(serverDir, 'mail'));
  return { uid: s.uid, gid: s.gid };
}

export function makeMaildir(dir: string, o: { uid: number; gid: number }, folder: boolean): void {
  for (const sub of ['', 'cur', 'new', 'tmp']) {
    const p = path.join(dir, sub);
    mkdirSync(p, { recursive: true, mode: 0o700 });
    chownSync(p, o.uid, o.gid);
  }
  if (folder) {
    const marker = path.join(dir, 'maildirfolder');
    writeFileSync(marker, '');
    chownSync(marker, o.uid, o.gid);
  }
}

export function writeMessage(dir: string, sub: 'cur' | 'new', raw: string, date: number, flags: string, o: { uid: number; gid: number }): number {
  const bytes = Buffer.byteLength(raw);
  const now = Date.now();
  const base = `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++sequence}.${host},S=${bytes}`;
  const file = path.join(dir, sub, sub === 'cur' ? `${base}:2,${flags}` : base);
  writeFileSync(file, raw, { mode: 0o600 });
  chownSync(file, o.uid, o.gid);
  utimesSync(file, date / 1000, date / 1000);
  return bytes;
}

const userDir = (serverDir: string, user: string) => path.join(serverDir, 'mail', user);

/**
 * A user's starting mailbox: 3–5 messages of 2–10 KB in INBOX (aged 400 days to 6 hours),
 * and for every third user one more in Sent. Returns what was written.
 */
export function seedMailbox(o: SeedOptions): SeededMessage[] {
  const own = owner(o.serverDir);
  const rand = prng(1000 + o.index);
  const root = userDir(o.serverDir, o.user);
  makeMaildir(root, own, false);
  const out: SeededMessage[] = [];
  const count = 3 + (o.index % 3);
  for (let n = 0; n < count; n++) {
    // The youngest age last, so every user has one message inside the post-sync window.
    const age = AGES_DAYS[AGES_DAYS.length - count + n];
    const date = Math.floor((Date.now() - age * DAY) / 1000) * 1000;
    const raw = message(o.user, n, date, rand, 'seed');
    out.push({ folder: 'INBOX', bytes: writeMessage(root, 'cur', raw, date, FLAG_SUFFIXES[n], own), date });
  }
  if (o.index % 3 === 0) {
    const sent = path.join(root, '.Sent');
    makeMaildir(sent, own, true);
    const date = Math.floor((Date.now() - 20 * DAY) / 1000) * 1000;
    const raw = message(o.user, count, date, rand, 'sent');
    out.push({ folder: 'Sent', bytes: writeMessage(sent, 'cur', raw, date, 'S', own), date });
  }
  return out;
}

/** One message delivered now into INBOX (as an MDA would: into `new/`), between two rounds. */
export function deliverNew(o: SeedOptions & { n: number }): SeededMessage {
  const own = owner(o.serverDir);
  const rand = prng(5000 + o.index * 7 + o.n);
  const root = userDir(o.serverDir, o.user);
  const date = Math.floor(Date.now() / 1000) * 1000;
  const raw = message(o.user, 100 + o.n, date, rand, 'new');
  return { folder: 'INBOX', bytes: writeMessage(root, 'new', raw, date, '', own), date };
}
