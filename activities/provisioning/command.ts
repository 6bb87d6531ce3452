// The `command` method: the operator's own program creates the mailbox on host2 (a
// control-panel CLI, an LDAP entry, a provider's API...). The contract:
//   <path> create <user on host2>
//   environment: MAILSHIFT_ACTION=create, MAILSHIFT_USER, MAILSHIFT_MAILBOX (the login on
//                host1), plus PATH, HOME, LANG, LC_ALL, TZ, TMPDIR and the variables named in
//                `passEnv` (nothing else of the worker's environment);
//   exit 0 = created or already there; it may print `created` or `already-there` as the
//   last line of stdout, else `created` is assumed; any other exit code fails the activity
//   with the end of its stderr.
// It must be idempotent: a retried activity runs it again for the same user.
import { ApplicationFailure } from '@temporalio/activity';
import { programEnv, runProgram } from '../run-program';
import { PROVISION_OUTCOMES, type ProvisionedUser, type ProvisioningMethodConfig, type ProvisionOutcome } from './schema';

type CommandConfig = Extract<ProvisioningMethodConfig, { method: 'command' }>;

export async function runProvisioningCommand(cfg: CommandConfig, { user, mailbox }: ProvisionedUser, signal?: AbortSignal): Promise<ProvisionOutcome> {
  const env = programEnv(cfg.passEnv, { MAILSHIFT_ACTION: 'create', MAILSHIFT_USER: user, MAILSHIFT_MAILBOX: mailbox });
  const run = await runProgram(cfg.path, ['create', user], { env, timeoutSeconds: cfg.timeoutSeconds, signal });
  const what = `provisioning command ${cfg.path} create ${user}`;
  if (run.spawnError) {
    throw ApplicationFailure.nonRetryable(`${what} could not start: ${run.spawnError.code ?? run.spawnError.message}`, 'ProvisionCommandMissing');
  }
  const tail = run.stderr.trim() ? `; stderr ends with: ${run.stderr.trim().slice(-500)}` : '';
  if (run.timedOut)
    throw ApplicationFailure.retryable(`${what} did not finish within ${cfg.timeoutSeconds} s and was stopped${tail}`, 'ProvisionCommandTimeout');
  if (signal?.aborted) throw ApplicationFailure.retryable(`${what} was stopped: the activity was cancelled`, 'ProvisionCommandCancelled');
  if (run.code !== 0) {
    const how = run.code === null ? `signal ${run.signalName}` : `exit code ${run.code}`;
    throw ApplicationFailure.retryable(`${what} failed with ${how}${tail}`, 'ProvisionCommandFailed');
  }
  const last = run.stdout.trim().split('\n').pop()?.trim() ?? '';
  return (PROVISION_OUTCOMES as readonly string[]).includes(last) ? (last as ProvisionOutcome) : 'created';
}
