// Closing users' open IMAP/POP3 sessions on host1 with `doveadm kick`. Refusing new logins
// (a deny list) or parking the IMAP host name (lucky scenario, access method `dns`) leaves
// the sessions already open: mail clients stay connected for hours (IDLE) and would keep
// changing the old mailbox during and after the final sync. Kicked clients reconnect, and
// then meet the cut. Idempotent: a user without sessions is reported as such.
import { execFile } from 'node:child_process';
import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import { closeSessionsInput, type CloseSessionsInput, type SessionsClosed } from './schema';

/**
 * Closes a user's open sessions on host1. Returns whether any session was found.
 * `doveadm kick` exits 0 when it kicked someone and 68 when nobody was connected.
 */
export function kickUser(doveadmPath: string, conf: string, user: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    execFile(doveadmPath, ['-c', conf, 'kick', user], { timeout: 30_000, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve(true);
      const e = err as Omit<NodeJS.ErrnoException, 'code'> & { code?: number | string };
      if (e.code === 68) return resolve(false);
      if (e.code === 'ENOENT') {
        return reject(
          ApplicationFailure.nonRetryable(`${doveadmPath} not found on this worker: it must run where host1's Dovecot runs`, 'AccessDoveadmMissing'),
        );
      }
      reject(
        ApplicationFailure.retryable(
          `doveadm -c ${conf} kick ${user} failed (${e.code ?? e.message}): ${String(stderr).trim().slice(-500)}`,
          'AccessKickFailed',
        ),
      );
    });
  });
}

/** Kicks each user's open sessions on host1; reports per user whether there were any. */
export async function closeSessions(raw: CloseSessionsInput): Promise<SessionsClosed[]> {
  const parsed = closeSessionsInput.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw ApplicationFailure.nonRetryable(`invalid close-sessions request: ${problems.join('; ')}`, 'InvalidAccessRequest');
  }
  const { doveadmConfig, doveadmPath } = parsed.data;
  const users = [...new Set(parsed.data.users)];
  const ctx = asyncLocalStorage.getStore();
  const results: SessionsClosed[] = [];
  for (const [i, user] of users.entries()) {
    results.push({ user, sessionsKicked: await kickUser(doveadmPath, doveadmConfig, user) });
    ctx?.heartbeat({ done: i + 1, of: users.length });
  }
  return results;
}
