// `npm run bench:sync -- --huge`: one INBOX of --huge-messages small messages (default
// 200,000) written straight into host1's storage (huge-maildir.ts). mailshift's first
// sync, no-change re-sync and re-sync after 1,000 new messages, each with its peak RSS;
// the bare copier and mbsync as peers; then a first sync killed (SIGKILL) mid-folder and
// run again, by the command and by the activity (resume.ts), with what the second run
// listed and copied.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bareCopy } from './bare-copy';
import { writeInbox } from './huge-maildir';
import { mailshiftSync, type MailshiftPair } from './mailshift-run';
import { f1, f2, mb, seconds, timedHere, type Timed } from './measure';
import { mbsync, mbsyncConfig, type Endpoint } from './peers';
import { runLogged, type CorpusSetup } from './profile-corpus';
import { judge } from './report';
import { activityCrash, commandCrash } from './resume';
import { compare, exact, readBack } from './verify';

export type HugeSetup = Omit<CorpusSetup, 'host1Plain' | 'host1Compress' | 'profile' | 'wan'> & {
  /** Also the bare copier and mbsync (--no-peers leaves them out: hours on a busy machine). */
  peers: boolean;
};

const NEW_MESSAGES = 1000;

export async function hugeProfile(s: HugeSetup): Promise<void> {
  const { log, report, host1, host2 } = s;
  const profile = `huge INBOX (${s.messages} msgs)`;
  let t = performance.now();
  const seeded = writeInbox({ serverDir: host1.dir, user: 'bench', from: 0, count: s.messages, sub: 'cur' });
  log(`huge: wrote ${s.messages} messages (${f1(mb(seeded.bytes))} MB) into host1's INBOX in ${f1((performance.now() - t) / 1000)} s`);
  t = performance.now();
  // Dovecot indexes a new Maildir on first access: done here, off every tool's clock.
  spawnSync('doveadm', ['-c', host1.conf, 'mailbox', 'status', '-u', 'bench', 'messages', 'INBOX']);
  log(`huge: host1 indexed in ${f1((performance.now() - t) / 1000)} s`);

  const login = (user: keyof HugeSetup['host2Passwords']) => ({ host: host2.host, port: host2.port, user, password: s.host2Passwords[user] });
  const pair = (user: 'bench' | 'resume'): MailshiftPair => ({
    host1: { host: host1.host, port: host1.port, user: 'bench', passwordFile: s.passwordFile('host1', 'bench') },
    host2: { host: host2.host, port: host2.port, user, passwordFile: s.passwordFile('host2', user) },
    state: path.join(s.dir, `huge-${user}-state.json`),
  });
  const sec = (x: Timed) => `${f2(seconds(x))} s`;
  const rss = (x: Timed) => `${f1(x.peakRssMb)} MB`;
  // Reported as each is measured: a run this long is worth its figures even if cut short.
  const add = (figure: string, x: Timed, peers: string) =>
    report.add({ profile, figure, value: `${sec(x)}, ${rss(x)}`, target: 'RSS ≤ 200 MB', verdict: x.code ? 'MISS' : judge(x.peakRssMb, '≤', 200), peers });

  const rc = mbsyncConfig(s.dir, 'huge-mbsync', { host: host1.host, port: host1.port, user: 'bench', password: s.host1Password }, login('mbsync'));
  const peer = async (what: string) => {
    if (!s.peers) return '';
    const r = await runLogged(log, `huge: mbsync ${what}`, () => mbsync(rc));
    return `mbsync ${sec(r)}, ${rss(r)}`;
  };
  let firstPeers = '';
  if (s.peers) {
    log('huge: bare copier …');
    const ceiling = await timedHere(() =>
      bareCopy({ host1: { host: host1.host, port: host1.port, user: 'bench', password: s.host1Password }, host2: login('ceiling'), mapFolder: (n) => n }),
    );
    firstPeers = `bare copier ${sec(ceiling)}; ${await peer('first sync')}`;
  }
  const first = await runLogged(log, 'huge: mailshift first sync', () => mailshiftSync(pair('bench')));
  add('first sync', first, firstPeers);
  const againPeers = await peer('no-change re-sync');
  const again = await runLogged(log, 'huge: mailshift no-change re-sync', () => mailshiftSync(pair('bench')));
  add('no-change re-sync', again, againPeers);

  const added = writeInbox({ serverDir: host1.dir, user: 'bench', from: s.messages, count: NEW_MESSAGES, sub: 'new' });
  const newPeers = await peer(`re-sync after ${NEW_MESSAGES} new`);
  const afterNew = await runLogged(log, `huge: mailshift re-sync after ${NEW_MESSAGES} new`, () => mailshiftSync(pair('bench')));
  const newCopied = /^copied (\d+) messages/m.exec(afterNew.stdout)?.[1];
  add(`re-sync after ${NEW_MESSAGES} new (copied ${newCopied ?? '?'})`, afterNew, newPeers);

  const expected = [...seeded.expected, ...added.expected];
  log("huge: verifying mailshift's destination …");
  const check = compare(expected, await readBack(host2, 'bench', s.host2Passwords.bench));
  report.add({
    profile,
    figure: 'byte-exact after the three runs',
    value: `${check.identical}/${expected.length}, ${check.duplicates} duplicates`,
    target: 'all',
    verdict: exact(check, expected.length) ? 'PASS' : 'MISS',
    peers: '',
  });

  const crash = { host2, total: expected.length, expected, log, dir: s.dir };
  const account = (server: Endpoint, user: string, file: string) => ({
    endpoint: { host: server.host, port: server.port, tls: 'none' as const },
    login: { user, credential: `file:${file}` },
  });
  const byActivity = await activityCrash(
    crash,
    {
      mailbox: 'huge',
      source: account(host1, 'bench', s.passwordFile('host1', 'bench')),
      destination: account(host2, 'attempt', s.passwordFile('host2', 'attempt')),
      deleteOnDestination: false,
      deleteOnSource: false,
    },
    s.host2Passwords.attempt,
  );

  report.add({ profile, ...byActivity });
  report.add({ profile, ...(await commandCrash(crash, pair('resume'), s.host2Passwords.resume)) });
}
