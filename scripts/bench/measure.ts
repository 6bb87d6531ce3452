// How bench:sync times the tools it compares: each run as a program under /usr/bin/time
// (wall time from outside, start-up included, and the peak RSS the kernel saw), and the
// number formats of its print-out.
import { spawn } from 'node:child_process';

export interface Timed {
  wallMs: number;
  /** Peak resident set of the syncing process, MB (NaN when it ran inside the bench). */
  peakRssMb: number;
  code: number;
}

export type TimedRun = Timed & { stdout: string; stderr: string };

/**
 * Runs a program under /usr/bin/time -v. With `onSpawn`, in a process group of its own
 * whose id it is given: the bench can kill the program (not only `time`) mid-run.
 */
export function timed(cmd: string, args: string[], onSpawn?: (pid: number) => void): Promise<TimedRun> {
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { detached: !!onSpawn });
  if (child.pid) onSpawn?.(child.pid);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      const stderr = Buffer.concat(err).toString('utf8');
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ wallMs, peakRssMb: rss ? Number(rss[1]) / 1024 : NaN, code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** Times work done inside the bench (no start-up, no RSS of its own). */
export async function timedHere(work: () => Promise<unknown>): Promise<Timed> {
  const started = performance.now();
  await work();
  return { wallMs: performance.now() - started, peakRssMb: NaN, code: 0 };
}

/** /usr/bin/time's own report lines left out: what the program itself said. */
export const programOutput = (r: TimedRun, lines = 20) =>
  (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => !/^\s+\S.*: /.test(l) || /rror/.test(l))
    .slice(0, lines)
    .join('\n');

/** The median of some figures (the upper one of an even count). */
export function medianOf(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** The run of median wall time (the upper one of an even count). */
export function medianRun<T extends Timed>(runs: T[]): T {
  return [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)];
}

/** The q-quantile (0..1) of some figures. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const mb = (b: number) => b / 1e6;

/** A run's line in bench:sync's table (header: `runHeader`): wall, rate over what it copied, peak RSS. */
export const runRow = (name: string, x: Timed, messages: number, bytes: number, extra = '') =>
  `${name.padEnd(34)} ${f2(seconds(x)).padStart(8)} s ${f1(messages / seconds(x)).padStart(9)} ${f1(mb(bytes) / seconds(x)).padStart(8)} ${f1(x.peakRssMb).padStart(8)}  exit ${x.code}${extra}`;
export const runHeader = `${'run'.padEnd(34)} ${'wall'.padStart(10)} ${'msgs/s'.padStart(9)} ${'MB/s'.padStart(8)} ${'RSS MB'.padStart(8)}`;
export const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
export const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
export const seconds = (x: Timed) => x.wallMs / 1000;
