// Running an operator's program (or a tool like doveadm) without a shell, as the access,
// mail-hold and provisioning `command` methods do: arguments as an array, a minimal
// environment (PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, the variables named, nothing else of
// the worker's, which holds other credentials), only the ends of its output kept, and a
// timeout or cancellation that stops it with its whole process group (SIGTERM, then
// SIGKILL 5 s later). Not an activity itself (activities/index.ts does not export it).
import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/activity';

/** Worker variables every program sees; callers add the ones an operator names (passEnv). */
export const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const TAIL = 2000;

/** How a program ended. */
export interface ProgramExit {
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

/** Runs it and says how it ended, whatever its exit code: callers that read exit codes (doveadm's) judge it themselves. */
export function spawnProgram(file: string, args: string[], o: { env: NodeJS.ProcessEnv; timeoutSeconds: number; signal?: AbortSignal }): Promise<ProgramExit> {
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

export interface ProgramRun {
  path: string;
  args: string[];
  /** Worker variables passed on, besides the base ones. */
  passEnv?: string[];
  /** Set for the program (after the passed ones). */
  env?: Record<string, string>;
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** What it is, in failures: `access command /path cut alice`. */
  what: string;
  /** Failure types are `<prefix>Missing`, `Timeout`, `Cancelled`, `Failed`. */
  failurePrefix: string;
}

/** The end of its stdout when the program exits 0; else an ApplicationFailure that says what it said. */
export async function runProgram(run: ProgramRun): Promise<string> {
  const { signal, what, failurePrefix } = run;
  const { code, signalName, stdout, stderr, timedOut, spawnError } = await spawnProgram(run.path, run.args, {
    env: programEnv(run.passEnv ?? [], run.env),
    timeoutSeconds: run.timeoutSeconds,
    signal,
  });
  if (spawnError) {
    // Missing or not executable: retrying the same path will not help.
    throw ApplicationFailure.nonRetryable(`${what} could not start: ${spawnError.code ?? spawnError.message}`, `${failurePrefix}Missing`);
  }
  const tail = stderr.trim() ? `; stderr ends with: ${stderr.trim().slice(-500)}` : '';
  if (timedOut) throw ApplicationFailure.retryable(`${what} did not finish within ${run.timeoutSeconds} s and was stopped${tail}`, `${failurePrefix}Timeout`);
  if (signal?.aborted) throw ApplicationFailure.retryable(`${what} was stopped: the activity was cancelled`, `${failurePrefix}Cancelled`);
  if (code !== 0) {
    throw ApplicationFailure.retryable(`${what} failed with ${code === null ? `signal ${signalName}` : `exit code ${code}`}${tail}`, `${failurePrefix}Failed`);
  }
  return stdout;
}
