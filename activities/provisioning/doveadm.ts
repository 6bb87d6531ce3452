// The `doveadm` method, for a Dovecot host2: `doveadm -c <conf> mailbox create -u <user>
// INBOX` creates the user's mail storage with its INBOX. What Dovecot answers (2.3):
//   exit 0                                    created
//   exit 65, "Mailbox already exists"         already there (a repeat, or the user logged in)
//   exit 67, "User doesn't exist"             not in host2's userdb: doveadm creates the
//                                             mailbox, not the login, so this fails for good
// It must run where host2's Dovecot runs (a worker there: provisioning.workerQueue).
import { ApplicationFailure } from '@temporalio/activity';
import { programEnv, spawnProgram } from '../run-program';
import type { ProvisionedUser, ProvisioningMethodConfig, ProvisionOutcome } from './schema';

type DoveadmConfig = Extract<ProvisioningMethodConfig, { method: 'doveadm' }>;

/** doveadm's exit codes (sysexits.h): EX_DATAERR, EX_NOUSER. */
const EX_DATAERR = 65;
const EX_NOUSER = 67;

export async function createDovecotMailbox(cfg: DoveadmConfig, { user }: ProvisionedUser, signal?: AbortSignal): Promise<ProvisionOutcome> {
  const args = ['-c', cfg.doveadmConfig, 'mailbox', 'create', '-u', user, 'INBOX'];
  const run = await spawnProgram(cfg.doveadmPath, args, { env: programEnv([]), timeoutSeconds: cfg.timeoutSeconds, signal });
  const what = `doveadm -c ${cfg.doveadmConfig} mailbox create -u ${user} INBOX`;
  const said = run.stderr.trim().slice(-500);
  if (run.spawnError) {
    throw ApplicationFailure.nonRetryable(
      `${cfg.doveadmPath} could not start on this worker (${run.spawnError.code ?? run.spawnError.message}): it must run where host2's Dovecot runs`,
      'ProvisionDoveadmMissing',
    );
  }
  if (run.timedOut) throw ApplicationFailure.retryable(`${what} did not finish within ${cfg.timeoutSeconds} s and was stopped`, 'ProvisionDoveadmTimeout');
  if (signal?.aborted) throw ApplicationFailure.retryable(`${what} was stopped: the activity was cancelled`, 'ProvisionDoveadmCancelled');
  if (run.code === 0) return 'created';
  if (run.code === EX_DATAERR && /already exists/i.test(said)) return 'already-there';
  if (run.code === EX_NOUSER) {
    throw ApplicationFailure.nonRetryable(
      `${what}: user ${user} does not exist on host2 (${said}); doveadm creates the mailbox storage, not the login: add the user to host2's passdb and userdb first`,
      'ProvisionUserUnknown',
    );
  }
  const how = run.code === null ? `signal ${run.signalName}` : `exit code ${run.code}`;
  throw ApplicationFailure.retryable(`${what} failed with ${how}${said ? `: ${said}` : ''}`, 'ProvisionDoveadmFailed');
}
