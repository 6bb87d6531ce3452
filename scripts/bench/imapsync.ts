// imapsync as bench:sync runs it: the vendored script (peers/imapsync, version 2.229), its
// Perl modules installed from Debian when missing (as scripts/install/debian-packages.sh
// does for the servers), and its command line for one host1 → host2 copy.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { timed, type TimedRun } from './measure';
import type { Endpoint } from './peers';

const script = path.join(__dirname, 'peers/imapsync/imapsync');

/** The Debian packages of the non-core modules imapsync `use`s at compile time. */
const PACKAGES = [
  'libdigest-hmac-perl',
  'libencode-imaputf7-perl',
  'libfile-copy-recursive-perl',
  'libfile-tail-perl',
  'libio-socket-inet6-perl',
  'libio-socket-ssl-perl',
  'libio-tee-perl',
  'libmail-imapclient-perl',
  'libreadonly-perl',
  'libregexp-common-perl',
  'libsys-meminfo-perl',
  'libterm-readkey-perl',
  'libunicode-string-perl',
];

const compiles = () => spawnSync('perl', ['-c', script], { encoding: 'utf8' });

/**
 * The vendored imapsync's version once it runs here, installing its Perl modules first when
 * `perl -c` says some are missing (root only: no sudo prompt in a bench); else why not.
 */
export function ensureImapsync(log: (line: string) => void): { version?: string; why?: string } {
  let check = compiles();
  if (check.status !== 0) {
    // perl -c stops at the first module it cannot find.
    const first = /Can't locate (\S+)\.pm/.exec(check.stderr)?.[1].replace(/\//g, '::') ?? check.stderr.trim().split('\n')[0];
    if (process.getuid?.() !== 0) return { why: `Perl modules missing (first: ${first}), and installing their Debian packages needs root` };
    log(`imapsync: Perl modules missing (first: ${first}): apt-get update; apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`);
    const apt = (args: string[]) => spawnSync('apt-get', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const install = [apt(['update', '-qq']), apt(['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES])].find((r) => r.status !== 0);
    if (install) return { why: `apt-get failed: ${(install.stderr || install.stdout).trim().split('\n').slice(-3).join(' ')}` };
    check = compiles();
    if (check.status !== 0) return { why: `does not compile after the install: ${check.stderr.trim().split('\n')[0]}` };
  }
  const version = spawnSync(script, ['--version'], { encoding: 'utf8' });
  return version.status === 0 ? { version: version.stdout.trim() } : { why: `imapsync --version failed: ${version.stderr.trim()}` };
}

export interface ImapsyncSide extends Endpoint {
  user: string;
  passwordFile: string;
}

/**
 * One imapsync run host1 → host2 with its defaults (header-based identification, flags and
 * internal dates synced, folder sizes listed before and after) and no TLS (the bench's
 * servers are plain); no log file, no release check, no cache. Passwords by file only.
 */
export function imapsync(host1: ImapsyncSide, host2: ImapsyncSide, tmpdir: string, folders: string[] = []): Promise<TimedRun> {
  mkdirSync(tmpdir, { recursive: true });
  const side = (n: 1 | 2, s: ImapsyncSide) => [
    ...[`--host${n}`, s.host, `--port${n}`, String(s.port), `--user${n}`, s.user, `--passfile${n}`, s.passwordFile],
    ...[`--nossl${n}`, `--notls${n}`],
  ];
  return timed(script, [
    ...side(1, host1),
    ...side(2, host2),
    ...folders.flatMap((f) => ['--folder', f]),
    ...['--nolog', '--noreleasecheck', '--nousecache', '--tmpdir', tmpdir, '--pidfile', path.join(tmpdir, 'imapsync.pid')],
  ]);
}
