// imapsync (imapsync.ts) in bench:sync's corpus profile, each run into a host2 user of its own:
//   loopback: first sync and re-sync of the whole corpus;
//   --wan: imapsync over the whole corpus at 40 ms RTT takes many minutes, so both tools copy
//   one folder (the smallest of at least 600 messages) into fresh users, and their
//   throughputs are compared.
import path from 'node:path';
import { ensureImapsync, imapsync, type ImapsyncSide } from './imapsync';
import { mailshiftSync } from './mailshift-run';
import { f1, f2, mb, runHeader, runRow, seconds, type TimedRun } from './measure';
import type { Endpoint } from './peers';
import { runLogged, type CorpusCopy, type CorpusSetup } from './profile-corpus';
import { judge } from './report';
import type { Expected } from './seed';
import { checkLine, compare, pathOn, readBack, type Check } from './verify';

type User = keyof CorpusSetup['host2Passwords'];

/** The smallest folder of at least `min` messages (the largest when none is that big). */
function subsetFolder(expected: Expected[], min: number): string {
  const counts = [...expected.reduce((m, e) => m.set(e.folder, (m.get(e.folder) ?? 0) + 1), new Map<string, number>())].sort((a, b) => a[1] - b[1]);
  return (counts.find(([, n]) => n >= min) ?? counts[counts.length - 1])[0];
}

export async function imapsyncProfile(s: CorpusSetup, corpus: CorpusCopy): Promise<void> {
  const { log, report, profile } = s;
  const available = ensureImapsync(log);
  if (!available.version) {
    log(`imapsync: not measured: ${available.why}`);
    report.add({
      profile,
      figure: s.wan ? 'throughput / imapsync' : 'first sync / re-sync, vs imapsync',
      value: 'n/a',
      target: s.wan ? '≥ 10×' : '',
      peers: `imapsync not measured: ${available.why}`,
    });
    return;
  }
  const side = (endpoint: Endpoint, h: 'host1' | 'host2', user: string): ImapsyncSide => ({
    ...endpoint,
    user,
    passwordFile: s.passwordFile(h, user),
  });
  const host1 = side(s.host1Plain, 'host1', 'bench');
  const into = (user: User) => side(s.host2, 'host2', user);
  const tmp = path.join(s.dir, 'imapsync-tmp');
  const check = async (user: User, expected: { fp: string }[]) => compare(expected, await readBack(s.host2, user, s.host2Passwords[user]));

  if (!s.wan) {
    const first = await runLogged(log, `imapsync ${available.version}: first sync`, () => imapsync(host1, into('imapsync'), tmp));
    const again = await runLogged(log, 'imapsync: re-sync', () => imapsync(host1, into('imapsync'), tmp));
    const c = await check('imapsync', corpus.expected);
    log('');
    log(runHeader);
    log(runRow('imapsync first sync', first, corpus.expected.length, corpus.bytes));
    log(runRow('imapsync re-sync', again, corpus.expected.length, corpus.bytes));
    log(checkLine('imapsync', c, corpus.expected.length));
    log('');
    report.add({
      profile,
      figure: 'first sync / re-sync, vs imapsync',
      value: `${f2(seconds(corpus.first))} s / ${f2(seconds(corpus.again))} s`,
      target: '',
      peers: `imapsync ${f2(seconds(first))} s / ${f2(seconds(again))} s, peak RSS ${f1(Math.max(first.peakRssMb, again.peakRssMb))} MB, identical ${c.identical}/${corpus.expected.length}, missing ${c.missing}`,
    });
    return;
  }

  const folder = subsetFolder(corpus.expected, 600);
  const picked = corpus.expected.flatMap((e, i) => (e.folder === folder ? [i] : []));
  const bytes = picked.reduce((n, i) => n + corpus.expected[i].size, 0);
  log(`imapsync and mailshift: folder "${folder}" only, ${picked.length} messages, ${f1(mb(bytes))} MB`);
  const ms = await runLogged(log, `mailshift sync --folder "${folder}"`, () =>
    mailshiftSync(
      {
        host1,
        host2: into('folder'),
        state: path.join(s.dir, 'mailshift-folder-state.json'),
      },
      ['--folder', folder],
    ),
  );
  const is = await runLogged(log, `imapsync ${available.version} --folder ${pathOn(s.host1, folder)}`, () =>
    imapsync(host1, into('imapsyncf'), tmp, [pathOn(s.host1, folder)]),
  );
  const subset = <T>(list: T[]) => picked.map((i) => list[i]);
  const checks: [string, Check][] = [
    ['mailshift', await check('folder', subset(corpus.mapped))],
    ['imapsync', await check('imapsyncf', subset(corpus.expected))],
  ];
  log('');
  log(runHeader);
  log(runRow('mailshift, one folder', ms, picked.length, bytes));
  log(runRow('imapsync, one folder', is, picked.length, bytes));
  for (const [name, c] of checks) log(checkLine(name, c, picked.length));
  log('');
  const ratio = seconds(is) / seconds(ms);
  const rate = (x: TimedRun) => `${f1(picked.length / seconds(x))} msgs/s, ${f1(mb(bytes) / seconds(x))} MB/s`;
  report.add({
    profile,
    figure: 'throughput / imapsync',
    value: `${f1(ratio)}× (${rate(ms)}, ${f2(seconds(ms))} s)`,
    target: '≥ 10×',
    verdict: judge(ratio, '≥', 10),
    peers: `imapsync ${rate(is)}, ${f2(seconds(is))} s; folder "${folder}", ${picked.length} msgs, ${f1(mb(bytes))} MB`,
  });
}
