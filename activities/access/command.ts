// The `command` method: the operator's own program decides how host1 is closed (a
// password change, an LDAP attribute, a control-panel API...). The contract:
//   <path> <cut|restore> <mailbox user>
//   environment: MAILSHIFT_ACTION, MAILSHIFT_USER, MAILSHIFT_PHASE, plus PATH, HOME, LANG,
//                LC_ALL, TZ, TMPDIR and the variables named in `passEnv` (nothing else of the
//                worker's environment, which holds other credentials);
//   exit 0 = done; it may print its outcome as the last line of stdout (`cut`,
//   `already-cut`, `restored`, `already-open`), else `cut`/`restored` is assumed;
//   any other exit code fails the activity with the end of its stderr.
// It runs without a shell (no quoting surprises with user names), and must be idempotent:
// a retried activity runs it again for the same user.
import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/activity';
import { OUTCOMES, type AccessAction, type AccessMethodConfig, type AccessOutcome } from './schema';

type CommandConfig = Extract<AccessMethodConfig, { method: 'command' }>;

const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const TAIL = 2000;

export async function runAccessCommand(cfg: CommandConfig, action: AccessAction, user: string, phase: string, signal?: AbortSignal): Promise<AccessOutcome> {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...cfg.passEnv]) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, { MAILSHIFT_ACTION: action, MAILSHIFT_USER: user, MAILSHIFT_PHASE: phase });

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
    const child = spawn(cfg.path, [action, user], { env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
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
    }, cfg.timeoutSeconds * 1000);
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

  const what = `access command ${cfg.path} ${action} ${user}`;
  if (spawnError) {
    // Missing or not executable: retrying the same path will not help.
    throw ApplicationFailure.nonRetryable(`${what} could not start: ${spawnError.code ?? spawnError.message}`, 'AccessCommandMissing');
  }
  const tail = stderr.trim() ? `; stderr ends with: ${stderr.trim().slice(-500)}` : '';
  if (timedOut) throw ApplicationFailure.retryable(`${what} did not finish within ${cfg.timeoutSeconds} s and was stopped${tail}`, 'AccessCommandTimeout');
  if (signal?.aborted) throw ApplicationFailure.retryable(`${what} was stopped: the activity was cancelled`, 'AccessCommandCancelled');
  if (code !== 0) {
    throw ApplicationFailure.retryable(`${what} failed with ${code === null ? `signal ${signalName}` : `exit code ${code}`}${tail}`, 'AccessCommandFailed');
  }
  return outcomeFrom(stdout, action, what);
}

/** The program's outcome word (last stdout line), or the "changed" outcome when it printed none. */
export function outcomeFrom(stdout: string, action: AccessAction, what: string): AccessOutcome {
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  const allowed = OUTCOMES[action];
  if ((allowed as readonly string[]).includes(last)) return last as AccessOutcome;
  const other = OUTCOMES[action === 'cut' ? 'restore' : 'cut'] as readonly string[];
  if (other.includes(last)) throw ApplicationFailure.nonRetryable(`${what} answered "${last}", which is not an outcome of ${action}`, 'AccessCommandFailed');
  return allowed[0];
}
