// `bin/mailshift sync` as administrators run it, timed from outside like its peers
// (start-up included), host1 → a host2 user, passwords by file reference.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { timed, type TimedRun } from './measure';
import type { Endpoint } from './peers';

export interface MailshiftPair {
  host1: Endpoint & { user: string; passwordFile: string };
  host2: Endpoint & { user: string; passwordFile: string };
  /** Its --state file: the incremental state between runs. */
  state: string;
}

const bin = path.join(__dirname, '../../bin/mailshift');

export function mailshiftArgs(p: MailshiftPair): string[] {
  const side = (n: 1 | 2, e: MailshiftPair['host1']) => [
    ...[`--host${n}`, e.host, `--port${n}`, String(e.port), `--tls${n}`, 'none'],
    ...[`--user${n}`, e.user, `--password${n}-ref`, `file:${e.passwordFile}`],
  ];
  return [...side(1, p.host1), ...side(2, p.host2), '--state', p.state];
}

/** Runs it under /usr/bin/time; its bundle (rebuilt when a source changed) is built beforehand, off the clock. */
export function mailshiftSync(p: MailshiftPair, extra: string[] = [], onSpawn?: (pid: number) => void): Promise<TimedRun> {
  spawnSync(bin, ['sync', '--help']);
  return timed(bin, ['sync', ...mailshiftArgs(p), ...extra], onSpawn);
}
