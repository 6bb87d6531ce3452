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
import { runProgram } from '../run-program';
import { PROVISION_OUTCOMES, type ProvisionedUser, type ProvisioningMethodConfig, type ProvisionOutcome } from './schema';

type CommandConfig = Extract<ProvisioningMethodConfig, { method: 'command' }>;

export async function runProvisioningCommand(cfg: CommandConfig, { user, mailbox }: ProvisionedUser, signal?: AbortSignal): Promise<ProvisionOutcome> {
  const stdout = await runProgram({
    path: cfg.path,
    args: ['create', user],
    passEnv: cfg.passEnv,
    env: { MAILSHIFT_ACTION: 'create', MAILSHIFT_USER: user, MAILSHIFT_MAILBOX: mailbox },
    timeoutSeconds: cfg.timeoutSeconds,
    signal,
    what: `provisioning command ${cfg.path} create ${user}`,
    failurePrefix: 'ProvisionCommand',
  });
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  return (PROVISION_OUTCOMES as readonly string[]).includes(last) ? (last as ProvisionOutcome) : 'created';
}
