// `npm run bench:sync`: mailshift against mbsync (Debian isync) on the same corpus, in one
// run, on two Dovecot instances of its own (a temporary directory, loopback ports).
//   1. generates the corpus (scripts/bench/corpus.ts) into host1 (`INBOX.` prefix, `.`);
//   2. mailshift first sync, then the no-change re-sync (with --state): the command
//      `bin/mailshift sync` as administrators run it, under /usr/bin/time as mbsync is;
//   3. mbsync first sync and re-sync from the same host1 user into another host2 user;
//   4. the ceiling: a bare copier (bare-copy.ts) into a third host2 user, what any IMAP
//      client could at best do against these two servers on this machine;
//   5. reads back the three destinations and compares them with the corpus: counts, bytes,
//      flags and keywords, internal dates, duplicates;
//   6. prints wall time, msgs/s, MB/s, peak RSS and the ratios to mbsync.
// Options: --messages N (default 10000), --keep (leave the servers' directory).
// A script, not a test: figures vary with the machine and the shared disk.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendMessages, type OutgoingMessage } from '../../activities/imap/multiappend';
import { bareCopy } from './bare-copy';
import { connectImap as connect, startDovecot, type DovecotServer } from '../servers/dovecot';
import { benchCorpus, BENCH_FOLDERS } from './corpus';

interface Timed {
  wallMs: number;
  /** Peak resident set of the syncing process, MB. */
  peakRssMb: number;
  code: number;
}

/** Runs a program under /usr/bin/time -v: wall time and peak RSS. */
function timed(cmd: string, args: string[]): Timed & { stdout: string; stderr: string } {
  const started = performance.now();
  const res = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(res.stderr ?? '');
  return { wallMs, peakRssMb: rss ? Number(rss[1]) / 1024 : NaN, code: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

// ---- servers and corpus -----------------------------------------------------------------

const pathOn = (server: DovecotServer, logical: string) =>
  logical === 'INBOX' ? 'INBOX' : server.layout === 'inbox-prefix-dot' ? `INBOX.${logical.split('/').join('.')}` : logical;
const logicalOn = (server: DovecotServer, p: string) =>
  p.toUpperCase() === 'INBOX'
    ? 'INBOX'
    : server.layout === 'inbox-prefix-dot'
      ? p
          .replace(/^INBOX\./, '')
          .split('.')
          .join('/')
      : p;

/** `folder sha256 [flags] date` of a message. */
const fingerprint = (folder: string, raw: Buffer, flags: Iterable<string>, date: number) =>
  `${folder} ${createHash('sha256').update(raw).digest('hex')} [${[...flags]
    .filter((f) => f !== '\\Recent')
    .sort()
    .join(' ')}] ${new Date(date).toISOString()}`;

async function seed(server: DovecotServer, user: string, password: string, messages: number) {
  const c = await connect(server, user, password);
  const expected: { folder: string; fp: string; size: number }[] = [];
  let bytes = 0;
  try {
    for (const f of BENCH_FOLDERS) if (f !== 'INBOX') await c.mailboxCreate(pathOn(server, f));
    const pending = new Map<string, OutgoingMessage[]>();
    const flush = async (folder: string) => {
      const batch = pending.get(folder) ?? [];
      if (batch.length) await appendMessages(c, pathOn(server, folder), batch, { multiappend: true });
      pending.set(folder, []);
    };
    for (const m of benchCorpus({ messages })) {
      expected.push({ folder: m.folder, fp: fingerprint(m.folder, m.raw, m.flags, m.internalDate), size: m.raw.length });
      bytes += m.raw.length;
      const batch = pending.get(m.folder) ?? [];
      batch.push({ content: m.raw, flags: m.flags, internalDate: m.internalDate });
      pending.set(m.folder, batch);
      if (batch.length >= 50 || batch.reduce((n, x) => n + x.content.length, 0) > 8e6) await flush(m.folder);
    }
    for (const f of pending.keys()) await flush(f);
  } finally {
    await c.logout();
  }
  return { expected, bytes };
}

/** Every message of a mailbox as fingerprints (bodies read in batches; X-TUID lines mbsync adds are set apart). */
async function readBack(server: DovecotServer, user: string, password: string) {
  const c = await connect(server, user, password);
  const out: { folder: string; fp: string; size: number; tuid: boolean }[] = [];
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

interface Check {
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
function compare(expected: { fp: string }[], actual: { fp: string; size: number; tuid: boolean }[]): Check {
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

// ---- the run ----------------------------------------------------------------------------

function mbsyncConfig(dir: string, host1: DovecotServer, host2: DovecotServer, pw1: string, pw2: string): string {
  const rc = path.join(dir, 'mbsyncrc');
  mkdirSync(path.join(dir, 'mbsync-state'), { recursive: true });
  writeFileSync(
    rc,
    `# host1 (bench, INBOX. prefix) → host2 (mbsync)
IMAPAccount host1
Host ${host1.host}
Port ${host1.port}
User bench
Pass ${pw1}
SSLType None
AuthMechs LOGIN

IMAPStore host1
Account host1
Path INBOX.

IMAPAccount host2
Host ${host2.host}
Port ${host2.port}
User mbsync
Pass ${pw2}
SSLType None
AuthMechs LOGIN

IMAPStore host2
Account host2

Channel bench
Near :host1:
Far :host2:
Patterns *
Create Far
Sync Push
Expunge None
CopyArrivalDate yes
# SyncState * keeps the state inside a Maildir near store; both stores are IMAP here.
SyncState ${path.join(dir, 'mbsync-state')}/
`,
    { mode: 0o600 },
  );
  return rc;
}

const mb = (b: number) => b / 1e6;
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

async function main(argv: string[]): Promise<void> {
  const messagesArg = argv.indexOf('--messages');
  const messages = messagesArg >= 0 ? Number(argv[messagesArg + 1]) : 10_000;
  const keep = argv.includes('--keep');
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-bench-'));
  // Dovecot's login and mail processes run as other users: they must traverse it.
  chmodSync(dir, 0o755);
  const pw = {
    h1: randomBytes(12).toString('hex'),
    h2: randomBytes(12).toString('hex'),
    mb: randomBytes(12).toString('hex'),
    ce: randomBytes(12).toString('hex'),
  };
  for (const [k, v] of Object.entries(pw)) writeFileSync(path.join(dir, `pw-${k}`), v, { mode: 0o600 });
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(`bench dir ${dir}`);
  const host1 = await startDovecot({ name: 'host1', dir: path.join(dir, 'host1'), layout: 'inbox-prefix-dot', users: [{ user: 'bench', password: pw.h1 }] });
  const host2 = await startDovecot({
    name: 'host2',
    dir: path.join(dir, 'host2'),
    layout: 'slash-no-prefix',
    users: [
      { user: 'bench', password: pw.h2 },
      { user: 'mbsync', password: pw.mb },
      { user: 'ceiling', password: pw.ce },
    ],
  });
  try {
    let t = performance.now();
    const { expected, bytes } = await seed(host1, 'bench', pw.h1, messages);
    log(
      `corpus: ${expected.length} messages, ${f1(mb(bytes))} MB in ${new Set(expected.map((e) => e.folder)).size} folders; seeded host1 in ${f1((performance.now() - t) / 1000)} s`,
    );

    const args = [
      '--host1',
      host1.host,
      '--port1',
      String(host1.port),
      '--tls1',
      'none',
      '--user1',
      'bench',
      '--password1-ref',
      `file:${path.join(dir, 'pw-h1')}`,
      '--host2',
      host2.host,
      '--port2',
      String(host2.port),
      '--tls2',
      'none',
      '--user2',
      'bench',
      '--password2-ref',
      `file:${path.join(dir, 'pw-h2')}`,
      '--state',
      path.join(dir, 'mailshift-state.json'),
    ];
    log('mailshift: first sync …');
    // The command as administrators run it, timed from outside like mbsync (start-up included).
    const mailshift = path.join(__dirname, '../../bin/mailshift');
    spawnSync(mailshift, ['sync', '--help']); // builds its bundle, if stale, before the clock runs
    const msFirst = timed(mailshift, ['sync', ...args]);
    if (msFirst.code !== 0) log(msFirst.stdout + msFirst.stderr);
    log('mailshift: no-change re-sync …');
    const msAgain = timed(mailshift, ['sync', ...args]);
    if (msAgain.code !== 0) log(msAgain.stdout + msAgain.stderr);
    const againCopied = /^copied (\d+) messages/m.exec(msAgain.stdout)?.[1];

    const rc = mbsyncConfig(dir, host1, host2, pw.h1, pw.mb);
    log('mbsync: first sync …');
    const mbFirst = timed('mbsync', ['-c', rc, '-a', '-q']);
    if (mbFirst.code !== 0)
      log(
        mbFirst.stderr
          .split('\n')
          .filter((l) => !/^\s+\S.*: /.test(l) || /rror/.test(l))
          .slice(0, 20)
          .join('\n'),
      );
    log('mbsync: re-sync …');
    const mbAgain = timed('mbsync', ['-c', rc, '-a', '-q']);

    log('ceiling: bare copier, 4 connections …');
    t = performance.now();
    await bareCopy({
      host1: { host: host1.host, port: host1.port, user: 'bench', password: pw.h1 },
      host2: { host: host2.host, port: host2.port, user: 'ceiling', password: pw.ce },
      mapFolder: (name) => pathOn(host2, logicalOn(host1, name)),
    });
    // Timed inside this process: no start-up counted, which flatters the ceiling, not mailshift.
    const ceiling: Timed = { wallMs: performance.now() - t, peakRssMb: NaN, code: 0 };

    log('verifying the three destinations …');
    t = performance.now();
    const mapped = expected.map((e) => ({ fp: e.folder === 'Sent Items' ? e.fp.replace(/^Sent Items /, 'Sent ') : e.fp }));
    const msCheck = compare(mapped, await readBack(host2, 'bench', pw.h2));
    const mbCheck = compare(expected, await readBack(host2, 'mbsync', pw.mb));
    const ceCheck = compare(expected, await readBack(host2, 'ceiling', pw.ce));
    log(`verified in ${f1((performance.now() - t) / 1000)} s`);

    const rate = (x: Timed) => ({ msgs: expected.length / (x.wallMs / 1000), mbs: mb(bytes) / (x.wallMs / 1000) });
    const row = (name: string, x: Timed, extra = '') =>
      `${name.padEnd(28)} ${f2(x.wallMs / 1000).padStart(8)} s ${f1(rate(x).msgs).padStart(9)} ${f1(rate(x).mbs).padStart(8)} ${f1(x.peakRssMb).padStart(8)}  exit ${x.code}${extra}`;
    log('');
    log(`${'run'.padEnd(28)} ${'wall'.padStart(10)} ${'msgs/s'.padStart(9)} ${'MB/s'.padStart(8)} ${'RSS MB'.padStart(8)}`);
    log(row('mailshift first sync', msFirst));
    log(row('mailshift no-change re-sync', msAgain, `  (copied ${againCopied ?? '?'})`));
    log(row('mbsync first sync', mbFirst));
    log(row('mbsync re-sync', mbAgain));
    log(row('ceiling (bare copier)', ceiling));
    log('');
    log(`first sync throughput, mailshift / mbsync: ${f2(mbFirst.wallMs / msFirst.wallMs)}× (target ≥ 4×)`);
    log(
      `ceiling / mbsync: ${f2(mbFirst.wallMs / ceiling.wallMs)}× (a client that only copies: about the most any reaches here); mailshift / ceiling: ${f2(ceiling.wallMs / msFirst.wallMs)}`,
    );
    log(
      `no-change re-sync: mailshift ${f2(msAgain.wallMs / 1000)} s (the whole command; target < 0.5 s), mbsync ${f2(mbAgain.wallMs / 1000)} s; ratio ${f2(msAgain.wallMs / mbAgain.wallMs)}`,
    );
    log(
      `peak RSS: mailshift ${f1(Math.max(msFirst.peakRssMb, msAgain.peakRssMb))} MB (target ≤ 150 MB), mbsync ${f1(Math.max(mbFirst.peakRssMb, mbAgain.peakRssMb))} MB`,
    );
    log('');
    const line = (name: string, c: Check) =>
      `${name.padEnd(10)} ${c.messages} msgs, ${f1(mb(c.bytes))} MB; identical (bytes, flags+keywords, date) ${c.identical}/${expected.length}; ` +
      `missing ${c.missing}; duplicates ${c.duplicates}; other flags/date ${c.metadataDiffers}; X-TUID added ${c.withXTuid}`;
    log(line('mailshift', msCheck));
    log(line('mbsync', mbCheck));
    log(line('ceiling', ceCheck));
  } finally {
    await Promise.allSettled([host1.stop(), host2.stop()]);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench:sync failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
