// bench:sync's main profile: the corpus (corpus.ts) copied from host1 by mailshift and
// every peer in one sitting, on loopback or (--wan) with host1 behind Toxiproxy:
//   mailshift `sync` (first, then no-change with --state), as administrators run it;
//   mbsync against host1 with COMPRESS=DEFLATE offered (a second Dovecot serving host1's
//   mail with imap_zlib: mbsync always turns it on) and without;
//   dsync (`doveadm backup -R` via imapc into host2's storage);
//   the bare copier (bare-copy.ts): the ceiling of an IMAP client here;
//   imapsync: profile-imapsync.ts, run after this with the corpus this returns.
// Each into its own host2 user, then every destination read back and compared.
// On --wan mailshift's first sync runs a second time with --compress (host1 offering it).
import path from 'node:path';
import type { DovecotServer } from '../servers/dovecot';
import { bareCopy } from './bare-copy';
import { mailshiftSync, type MailshiftPair } from './mailshift-run';
import { f1, f2, mb, medianOf, medianRun, programOutput, runHeader, runRow, seconds, timedHere, type Timed, type TimedRun } from './measure';
import { dsync, dsyncConfig, mbsync, mbsyncConfig, type Endpoint, type Login } from './peers';
import { judge, type Report } from './report';
import { seed, type Expected } from './seed';
import { checkLine, compare, exact, logicalOn, pathOn, readBack, type Check } from './verify';

/** First syncs of mailshift, dsync and the bare copier, interleaved; each figure is their median. */
export const FIRST_SYNCS = 3;
/** The i-th destination of a tool: bench, bench2, bench3… */
const nth = (user: string, i: number) => (i ? `${user}${i + 1}` : user);

/** host2's users: one per destination, FIRST_SYNCS each for the tools whose first sync is repeated. */
export const HOST2_USERS = [
  ...['benchz', 'mbsync', 'mbsyncz', 'ceilingz', 'imapsync', 'folder', 'imapsyncf', 'resume', 'attempt'],
  ...['bench', 'dsync', 'ceiling'].flatMap((user) => Array.from({ length: FIRST_SYNCS }, (_, i) => nth(user, i))),
];

export interface CorpusSetup {
  dir: string;
  messages: number;
  host1: DovecotServer;
  host2: DovecotServer;
  /** Where the tools reach host1, without and with COMPRESS=DEFLATE offered (a proxy on --wan). */
  host1Plain: Endpoint;
  host1Compress: Endpoint;
  /** Passwords: host1's bench user, and host2's users by name. */
  host1Password: string;
  host2Passwords: Record<string, string>;
  /** The file holding a user's password (mailshift takes references): host1's bench, host2's users. */
  passwordFile: (side: 'host1' | 'host2', user: string) => string;
  /** The label of this profile in the report: "loopback", "wan …". */
  profile: string;
  wan: boolean;
  /** false (--no-peers): mbsync, dsync and imapsync left out; mailshift and the bare copier still run. */
  peers: boolean;
  report: Report;
  log: (line: string) => void;
}

/** What a profile seeded and copied: the other profiles of the run check against it. */
export interface CorpusCopy {
  expected: Expected[];
  /** `expected` as mailshift lays it out on host2 ("Sent Items" → host2's \Sent folder). */
  mapped: { fp: string }[];
  bytes: number;
  /** mailshift's first sync and no-change re-sync of it. */
  first: Timed;
  again: Timed;
}

export async function runLogged(log: (l: string) => void, what: string, run: () => Promise<TimedRun>): Promise<TimedRun> {
  log(`${what} …`);
  const r = await run();
  if (r.code !== 0) log(programOutput(r));
  return r;
}

/** Unchanged re-syncs timed, mailshift's figure being their median. */
const RERUNS = 5;

export async function corpusProfile(s: CorpusSetup): Promise<CorpusCopy> {
  const { log, report } = s;
  let t = performance.now();
  const { expected, bytes } = await seed(s.host1, 'bench', s.host1Password, s.messages);
  log(
    `corpus: ${expected.length} messages, ${f1(mb(bytes))} MB in ${new Set(expected.map((e) => e.folder)).size} folders; seeded host1 in ${f1((performance.now() - t) / 1000)} s`,
  );
  const login = (e: Endpoint, user: string, password: string): Login => ({ ...e, user, password });
  const host2 = (user: keyof CorpusSetup['host2Passwords']) => login(s.host2, user, s.host2Passwords[user]);

  const pairTo = (user: string): MailshiftPair => ({
    host1: { ...s.host1Plain, user: 'bench', passwordFile: s.passwordFile('host1', 'bench') },
    host2: { ...s.host2, user, passwordFile: s.passwordFile('host2', user) },
    state: path.join(s.dir, `mailshift-state-${user}.json`),
  });
  // On the WAN only: what COMPRESS=DEFLATE gains mailshift's first sync on a limited link.
  const compressFirst = () =>
    runLogged(log, 'mailshift --compress, host1 offering COMPRESS=DEFLATE: first sync', () =>
      mailshiftSync({ ...pairTo('benchz'), host1: { ...pairTo('benchz').host1, ...s.host1Compress } }, ['--compress']),
    );
  const dsyncConf = dsyncConfig(s.dir, s.host2, login(s.host1Plain, 'bench', s.host1Password));
  // Timed inside this process: no start-up counted, which flatters the ceiling, not mailshift.
  const bare = (from: Endpoint, user: string) => {
    log(`ceiling: bare copier, 4 connections${user === 'ceilingz' ? ', host1 read with COMPRESS=DEFLATE' : ''} …`);
    return timedHere(() =>
      bareCopy({
        host1: login(from, 'bench', s.host1Password),
        host2: host2(user),
        mapFolder: (name) => pathOn(s.host2, logicalOn(s.host1, name)),
        compressSource: user === 'ceilingz',
      }),
    );
  };
  // One first sync each in turn, FIRST_SYNCS times: a busy moment of the machine falls on all.
  const firsts = { mailshift: [] as TimedRun[], dsync: [] as TimedRun[], ceiling: [] as Timed[] };
  for (let i = 0; i < FIRST_SYNCS; i++) {
    const of = `${i + 1}/${FIRST_SYNCS}`;
    firsts.mailshift.push(await runLogged(log, `mailshift: first sync ${of}`, () => mailshiftSync(pairTo(nth('bench', i)))));
    if (s.peers) firsts.dsync.push(await runLogged(log, `dsync (doveadm backup -R via imapc): first sync ${of}`, () => dsync(dsyncConf, nth('dsync', i))));
    firsts.ceiling.push(await bare(s.host1Plain, nth('ceiling', i)));
  }
  const msFirst = medianRun(firsts.mailshift);
  const dsFirst = s.peers ? medianRun(firsts.dsync) : undefined;
  const ceiling = medianRun(firsts.ceiling);
  const pair = pairTo('bench');
  // A run this short varies by tens of ms with the machine: the median of RERUNS.
  const reruns: TimedRun[] = [];
  for (let i = 0; i < RERUNS; i++) reruns.push(await runLogged(log, `mailshift: no-change re-sync ${i + 1}/${RERUNS}`, () => mailshiftSync(pair)));
  const msAgain = medianRun(reruns);
  const againCopied = /^copied (\d+) messages/m.exec(msAgain.stdout)?.[1];
  const msFirstZ = s.wan ? await compressFirst() : undefined;

  const peer = (what: string, run: () => Promise<TimedRun>) => (s.peers ? runLogged(log, what, run) : Promise.resolve(undefined));
  const rcPlain = mbsyncConfig(s.dir, 'mbsync', login(s.host1Plain, 'bench', s.host1Password), host2('mbsync'));
  const rcCompress = mbsyncConfig(s.dir, 'mbsyncz', login(s.host1Compress, 'bench', s.host1Password), host2('mbsyncz'));
  const mbFirst = await peer('mbsync, host1 without COMPRESS: first sync', () => mbsync(rcPlain));
  const mbAgain = await peer('mbsync, host1 without COMPRESS: re-sync', () => mbsync(rcPlain));
  const mbzFirst = await peer('mbsync, host1 offering COMPRESS=DEFLATE: first sync', () => mbsync(rcCompress));
  const mbzAgain = await peer('mbsync, host1 offering COMPRESS=DEFLATE: re-sync', () => mbsync(rcCompress));

  const dsAgain = await peer('dsync: re-sync', () => dsync(dsyncConf, 'dsync'));

  // On the WAN only: what COMPRESS gains a client that only copies, on a limited link.
  const ceilingZ = s.wan && s.peers ? await bare(s.host1Compress, 'ceilingz') : undefined;

  log('verifying every destination …');
  t = performance.now();
  // mailshift maps "Sent Items" to host2's \Sent folder; the others keep the name.
  const mapped = expected.map((e) => ({ fp: e.folder === 'Sent Items' ? e.fp.replace(/^Sent Items /, 'Sent ') : e.fp }));
  const p = s.host2Passwords;
  const msChecks: Check[] = [];
  for (let i = 0; i < FIRST_SYNCS; i++) msChecks.push(compare(mapped, await readBack(s.host2, nth('bench', i), p[nth('bench', i)])));
  const checks: [string, Check][] = [
    ['mailshift', msChecks.find((c) => !exact(c, expected.length)) ?? msChecks[0]],
    ...(msFirstZ ? [['mailshift+Z', compare(mapped, await readBack(s.host2, 'benchz', p.benchz))] as [string, Check]] : []),
    ...(s.peers
      ? ([
          ['mbsync', compare(expected, await readBack(s.host2, 'mbsync', p.mbsync))],
          ['mbsync+Z', compare(expected, await readBack(s.host2, 'mbsyncz', p.mbsyncz))],
          ['dsync', compare(expected, await readBack(s.host2, 'dsync', p.dsync))],
        ] as [string, Check][])
      : []),
    ['ceiling', compare(expected, await readBack(s.host2, 'ceiling', p.ceiling))],
    ...(ceilingZ ? [['ceiling+Z', compare(expected, await readBack(s.host2, 'ceilingz', p.ceilingz))] as [string, Check]] : []),
  ];
  log(`verified in ${f1((performance.now() - t) / 1000)} s`);

  const row = (name: string, x: Timed | undefined, extra = '') => x && runRow(name, x, expected.length, bytes, extra);
  log('');
  log(runHeader);
  const rows = [
    row('mailshift first sync', msFirst, `  (median of ${FIRST_SYNCS}: ${firsts.mailshift.map((r) => f2(seconds(r))).join(', ')} s)`),
    row('mailshift first sync (--compress)', msFirstZ),
    row('mailshift no-change re-sync', msAgain, `  (copied ${againCopied ?? '?'}; median of ${RERUNS}: ${reruns.map((r) => f2(seconds(r))).join(', ')} s)`),
    row('mbsync first sync (no COMPRESS)', mbFirst),
    row('mbsync re-sync (no COMPRESS)', mbAgain),
    row('mbsync first sync (COMPRESS)', mbzFirst),
    row('mbsync re-sync (COMPRESS)', mbzAgain),
    row('dsync first sync', dsFirst, `  (median of ${FIRST_SYNCS}: ${firsts.dsync.map((r) => f2(seconds(r))).join(', ')} s)`),
    row('dsync re-sync', dsAgain),
    row('ceiling (bare copier)', ceiling, `  (median of ${FIRST_SYNCS}: ${firsts.ceiling.map((r) => f2(seconds(r))).join(', ')} s)`),
    row('ceiling, COMPRESS from host1', ceilingZ),
  ];
  for (const r of rows) if (r) log(r);
  log('');
  for (const [name, c] of checks) log(checkLine(name, c, expected.length));
  log('');

  const profile = s.profile;
  const sec = (x: Timed | undefined) => (x ? `${f2(seconds(x))} s` : 'not run');
  const rssOf = (x: Timed | undefined) => (x ? `${f1(x.peakRssMb)} MB` : 'not run');
  const firstPeers = `bare copier ${sec(ceiling)}, dsync ${sec(dsFirst)}, mbsync ${sec(mbFirst)} (no COMPRESS) / ${sec(mbzFirst)} (COMPRESS)`;
  const toCeiling = msFirst.wallMs / ceiling.wallMs;
  report.add({
    profile,
    figure: 'first sync / bare copier',
    value: `${f2(toCeiling)}× (${sec(msFirst)})`,
    target: '≤ 1.25×',
    verdict: judge(toCeiling, '≤', 1.25),
    peers: firstPeers,
  });
  if (!s.wan && dsFirst) {
    const toDsync = msFirst.wallMs / dsFirst.wallMs;
    report.add({
      profile,
      figure: 'first sync / dsync',
      value: `${f2(toDsync)}×`,
      target: '< 1×',
      verdict: judge(toDsync, '<', 1),
      peers: `dsync ${sec(dsFirst)}`,
    });
  }
  // The first syncs' median, as for the times; each run's figure is printed beside it.
  const rss = Math.max(medianOf(firsts.mailshift.map((r) => r.peakRssMb)), msAgain.peakRssMb);
  report.add({
    profile,
    figure: 'peak RSS',
    value: `${f1(rss)} MB (median of ${FIRST_SYNCS}: ${firsts.mailshift.map((r) => f1(r.peakRssMb)).join(', ')} MB)`,
    target: '≤ 150 MB',
    verdict: judge(rss, '≤', 150),
    peers: `dsync ${rssOf(dsFirst)}, mbsync ${rssOf(mbFirst)} / ${rssOf(mbzFirst)}`,
  });
  const [, msCheck] = checks[0];
  report.add({
    profile,
    figure: 'byte-exact (bytes, flags, keywords, date)',
    value: `${msCheck.identical}/${expected.length}, ${msCheck.duplicates} duplicates (${msChecks.filter((c) => exact(c, expected.length)).length} of ${FIRST_SYNCS} first syncs exact)`,
    target: 'all',
    verdict: msChecks.every((c) => exact(c, expected.length)) ? 'PASS' : 'MISS',
    peers: checks
      .slice(1)
      .map(([n, c]) => `${n} ${c.identical}/${expected.length}`)
      .join(', '),
  });
  report.add({
    profile,
    figure: 'no-change re-sync, whole command',
    value: sec(msAgain),
    target: s.wan ? '' : '≤ 0.25 s',
    verdict: judge(seconds(msAgain), '≤', 0.25),
    peers: `mbsync ${sec(mbAgain)} / ${sec(mbzAgain)} (COMPRESS), dsync ${sec(dsAgain)}`,
  });
  if (s.wan) {
    report.add({
      profile,
      figure: 'COMPRESS=DEFLATE, first sync',
      value: `mailshift ${sec(msFirstZ)} with --compress / ${sec(msFirst)} without`,
      target: '',
      peers: `bare copier ${sec(ceilingZ)} with / ${sec(ceiling)} without; mbsync ${sec(mbzFirst)} with / ${sec(mbFirst)} without`,
    });
  }
  return { expected, mapped, bytes, first: msFirst, again: msAgain };
}
