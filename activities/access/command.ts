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
import { ApplicationFailure } from '@temporalio/activity';
import { programEnv, runProgram } from '../run-program';
import { OUTCOMES, type AccessAction, type AccessMethodConfig, type AccessOutcome } from './schema';

type CommandConfig = Extract<AccessMethodConfig, { method: 'command' }>;

export async function runAccessCommand(cfg: CommandConfig, action: AccessAction, user: string, phase: string, signal?: AbortSignal): Promise<AccessOutcome> {
  const env = programEnv(cfg.passEnv, { MAILSHIFT_ACTION: action, MAILSHIFT_USER: user, MAILSHIFT_PHASE: phase });
  const { code, signalName, stdout, stderr, timedOut, spawnError } = await runProgram(cfg.path, [action, user], {
    env,
    timeoutSeconds: cfg.timeoutSeconds,
    signal,
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
