// The access activities: cut users' access to host1 at cut-over, restore it on
// rollback. Both are idempotent (a retry or a repeated call changes nothing more and
// says so: `already-cut`, `already-open`), and report per user what they did. Methods
// are pluggable (schema.ts); the lucky scenario's DNS parking is the DNS activities' job.
import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import { keepingAlive } from '../keepalive';
import { runAccessCommand } from './command';
import { kickUser } from './close-sessions';
import { DOVECOT_RELOAD_MS, updateDenyList } from './deny-list';
import { postAccessChange, resolveToken } from './http';
import { accessInput, type AccessAction, type AccessInput, type AccessReport, type AccessUserResult } from './schema';

/** Refuses the users' logins on host1 (and, with a deny list, closes their open sessions). */
export async function cutAccess(input: AccessInput): Promise<AccessReport> {
  return changeAccess('cut', input);
}

/** Lets the users log in to host1 again (rollback). */
export async function restoreAccess(input: AccessInput): Promise<AccessReport> {
  return changeAccess('restore', input);
}

async function changeAccess(action: AccessAction, raw: AccessInput): Promise<AccessReport> {
  const parsed = accessInput.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw ApplicationFailure.nonRetryable(`invalid ${action} access request: ${problems.join('; ')}`, 'InvalidAccessRequest');
  }
  const { method, phase } = parsed.data;
  const users = [...new Set(parsed.data.users)];
  const ctx = asyncLocalStorage.getStore();
  const signal = ctx?.cancellationSignal;
  // Liveness for long lists (thousands of users), and between two users too: one user's
  // command or request can take minutes, and the heartbeat timeout is shorter
  // (workflows/runbook-activities.ts). Retries redo everything, which the methods'
  // idempotency makes safe and reports truthfully.
  let done = 0;
  const details = () => ({ action, phase, done, of: users.length });
  const progress = (n: number) => {
    done = n;
    ctx?.heartbeat(details());
  };
  const results: AccessUserResult[] = [];
  const perUser = async (): Promise<void> => {
    switch (method.method) {
      case 'notify-only':
        for (const user of users) results.push({ user, outcome: 'not-enforced' });
        break;
      case 'dns':
        throw ApplicationFailure.nonRetryable(
          'access method "dns" parks the IMAP host name: that is a DNS change, made and recorded by the DNS activities, not by cutAccess/restoreAccess',
          'AccessHandledByDns',
        );
      case 'command':
        for (const [i, user] of users.entries()) {
          results.push({ user, outcome: await runAccessCommand(method, action, user, phase, signal) });
          progress(i + 1);
        }
        break;
      case 'http': {
        const token = await resolveToken(method);
        for (const [i, user] of users.entries()) {
          results.push({ user, outcome: await postAccessChange(method, action, user, phase, token, signal) });
          progress(i + 1);
        }
        break;
      }
      case 'dovecot-deny-list': {
        const { outcomes, changed } = await updateDenyList(method.denyFile, action, users);
        if (changed) await (ctx ? ctx.sleep(DOVECOT_RELOAD_MS) : new Promise((r) => setTimeout(r, DOVECOT_RELOAD_MS)));
        for (const [i, user] of users.entries()) {
          const result: AccessUserResult = { user, outcome: outcomes.get(user)! };
          // Kick already-cut users too: an earlier attempt may have died before kicking.
          if (action === 'cut' && method.doveadmConfig) {
            result.sessionsKicked = await kickUser(method.doveadmPath, method.doveadmConfig, user);
            progress(i + 1);
          }
          results.push(result);
        }
        break;
      }
    }
  };
  await (ctx ? keepingAlive(() => ctx.heartbeat(details()), perUser) : perUser());
  ctx?.log.info(`access ${action}`, {
    method: method.method,
    phase,
    users: users.length,
    changed: results.filter((r) => r.outcome === 'cut' || r.outcome === 'restored').length,
  });
  return { method: method.method, action, phase, users: results };
}
