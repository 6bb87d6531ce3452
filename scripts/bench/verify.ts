// How bench:sync checks a destination: every message read back and compared with the
// corpus by fingerprint (folder, sha256 of the bytes, flags and keywords, internal date),
// as multisets, so missing, duplicated and altered messages are each counted.
import { createHash } from 'node:crypto';
import { connectImap as connect, type DovecotServer } from '../servers/dovecot';
import { f1, mb } from './measure';

/** A logical folder name ("/" between levels, no prefix) as a server spells it. */
export const pathOn = (server: Pick<DovecotServer, 'layout'>, logical: string) =>
  logical === 'INBOX' ? 'INBOX' : server.layout === 'inbox-prefix-dot' ? `INBOX.${logical.split('/').join('.')}` : logical;

export const logicalOn = (server: Pick<DovecotServer, 'layout'>, p: string) =>
  p.toUpperCase() === 'INBOX'
    ? 'INBOX'
    : server.layout === 'inbox-prefix-dot'
      ? p
          .replace(/^INBOX\./, '')
          .split('.')
          .join('/')
      : p;

/** `folder sha256 [flags] date` of a message. */
export const fingerprint = (folder: string, raw: Buffer, flags: Iterable<string>, date: number) =>
  `${folder} ${createHash('sha256').update(raw).digest('hex')} [${[...flags]
    .filter((f) => f !== '\\Recent')
    .sort()
    .join(' ')}] ${new Date(date).toISOString()}`;

export interface Seen {
  folder: string;
  fp: string;
  size: number;
  /** mbsync's X-TUID header was there (and is left out of the fingerprint). */
  tuid: boolean;
}

/** Every message of a user's mailbox as fingerprints (bodies read in batches). */
export async function readBack(server: DovecotServer, user: string, password: string): Promise<Seen[]> {
  const c = await connect(server, user, password);
  const out: Seen[] = [];
  try {
    for (const f of await c.list()) {
      if (f.flags.has('\\Noselect') || f.flags.has('\\NonExistent')) continue;
      const box = await c.mailboxOpen(f.path, { readOnly: true });
      if (!box.exists) continue;
      const uids = ((await c.search({ all: true }, { uid: true })) || []) as number[];
      for (let i = 0; i < uids.length; i += 200) {
        for await (const m of c.fetch(uids.slice(i, i + 200), { uid: true, flags: true, internalDate: true, source: true }, { uid: true })) {
          let raw = m.source!;
          const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1');
          const tuid = /^X-TUID: [^\r\n]*\r\n/m.exec(head);
          if (tuid) raw = Buffer.concat([raw.subarray(0, tuid.index), raw.subarray(tuid.index + tuid[0].length)]);
          const folder = logicalOn(server, f.path);
          out.push({ folder, fp: fingerprint(folder, raw, m.flags ?? [], new Date(m.internalDate!).getTime()), size: raw.length, tuid: !!tuid });
        }
      }
    }
  } finally {
    await c.logout();
  }
  return out;
}

export interface Check {
  messages: number;
  bytes: number;
  identical: number;
  missing: number;
  duplicates: number;
  /** Same content and folder, but other flags/keywords or date. */
  metadataDiffers: number;
  withXTuid: number;
}

/** Multiset comparison of fingerprints; "content" = folder + sha256. */
export function compare(expected: { fp: string }[], actual: Pick<Seen, 'fp' | 'size' | 'tuid'>[]): Check {
  const count = (list: string[]) => list.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  const want = count(expected.map((e) => e.fp));
  const got = count(actual.map((a) => a.fp));
  const content = (fp: string) => fp.split(' ').slice(0, 2).join(' ');
  let identical = 0;
  for (const [k, n] of got) identical += Math.min(n, want.get(k) ?? 0);
  const wantContent = count(expected.map((e) => content(e.fp)));
  const gotContent = count(actual.map((a) => content(a.fp)));
  let missing = 0;
  let duplicates = 0;
  for (const [k, n] of wantContent) missing += Math.max(0, n - (gotContent.get(k) ?? 0));
  for (const [k, n] of gotContent) duplicates += Math.max(0, n - (wantContent.get(k) ?? 0));
  const present = actual.length - duplicates;
  return {
    messages: actual.length,
    bytes: actual.reduce((n, a) => n + a.size, 0),
    identical,
    missing,
    duplicates,
    metadataDiffers: present - identical,
    withXTuid: actual.filter((a) => a.tuid).length,
  };
}

/** Byte-exact: every message there once, with its flags, keywords and date. */
export const exact = (c: Check, expected: number) => c.identical === expected && c.messages === expected;

/** A destination's check as bench:sync prints it; `expected` is how many messages it should hold. */
export const checkLine = (name: string, c: Check, expected: number) =>
  `${name.padEnd(10)} ${c.messages} msgs, ${f1(mb(c.bytes))} MB; identical (bytes, flags+keywords, date) ${c.identical}/${expected}; ` +
  `missing ${c.missing}; duplicates ${c.duplicates}; other flags/date ${c.metadataDiffers}; X-TUID added ${c.withXTuid}`;
