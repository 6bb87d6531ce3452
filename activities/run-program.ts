// Running an operator's program without a shell, as the access and mail-hold `command`
// providers do: arguments as an array, a minimal environment (PATH, HOME, LANG, LC_ALL,
// TZ, TMPDIR, the variables named, nothing else of the worker's, which holds other
// credentials), a timeout that stops the program and whatever it started, and failures
// that say what the program said (the end of its stderr).
import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/activity';

const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const TAIL = 2000;

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

/** The end of its stdout when the program exits 0; else an ApplicationFailure. */
export async function runProgram(run: ProgramRun): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...(run.passEnv ?? [])]) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, run.env);
  const { signal, what, failurePrefix } = run;

  const { code, signalName, stdout, stderr, timedOut, spawnError } = await new Promise<{
    code: number | null;
    signalName: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    timedOut: boolean;
    spawnError?: NodeJS.ErrnoException;
  }>((resolve) => {
    // Its own process group, so a timeout stops the program and whatever it started (a
    // shell script's `sleep` would otherwise hold the pipes open).
    const child = spawn(run.path, run.args, { env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
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
    }, run.timeoutSeconds * 1000);
    signal?.addEventListener('abort', stop, { once: true });
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signalName: null, stdout: out, stderr: err, timedOut, spawnError: e });
    });
    child.once('close', (c, s) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      signal?.removeEventListener('abort', stop);
      resolve({ code: c, signalName: s, stdout: out, stderr: err, timedOut });
    });
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
