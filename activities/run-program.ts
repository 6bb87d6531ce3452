// Running an operator's program (or a tool like doveadm) without a shell: no quoting
// surprises with user names. Only a few worker variables reach it (the worker's
// environment holds other credentials), and only the ends of its output are kept. A
// timeout or a cancellation stops it with its whole process group (SIGTERM, then SIGKILL
// 5 s later). Not an activity itself (activities/index.ts does not export it).
import { spawn } from 'node:child_process';

/** Worker variables every program sees; callers add the ones an operator names (passEnv). */
export const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const TAIL = 2000;

export interface ProgramRun {
  code: number | null;
  signalName: NodeJS.Signals | null;
  /** The last 2,000 characters of stdout and stderr. */
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The program could not start (missing, not executable). */
  spawnError?: NodeJS.ErrnoException;
}

/** The worker's variables in `names` (those set), plus `extra`. */
export function programEnv(names: string[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...names]) if (process.env[name] !== undefined) env[name] = process.env[name];
  return Object.assign(env, extra);
}

export function runProgram(file: string, args: string[], o: { env: NodeJS.ProcessEnv; timeoutSeconds: number; signal?: AbortSignal }): Promise<ProgramRun> {
  return new Promise((resolve) => {
    // Its own process group, so a timeout stops the program and whatever it started (a
    // shell script's `sleep` would otherwise hold the pipes open).
    const child = spawn(file, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    let out = '';
    let err = '';
    let timedOut = false;
    // Keep only the ends: a chatty program must not fill the worker's memory.
    child.stdout.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-TAIL)));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-TAIL)));
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup('SIGTERM');
      hardKill ??= setTimeout(() => killGroup('SIGKILL'), 5000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutSeconds * 1000);
    o.signal?.addEventListener('abort', stop, { once: true });
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signalName: null, stdout: out, stderr: err, timedOut, spawnError: e });
    });
    child.once('close', (c, s) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      o.signal?.removeEventListener('abort', stop);
      resolve({ code: c, signalName: s, stdout: out, stderr: err, timedOut });
    });
  });
}
