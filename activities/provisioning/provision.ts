// The provisioning activity: create the users' mailboxes on host2 before anything is
// copied there. Idempotent (a retry or a repeat changes nothing more and says so:
// `already-there`), and reports per user what it did. Methods are pluggable (schema.ts).
import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import { keepingAlive } from '../keepalive';
import { runProvisioningCommand } from './command';
import { createDovecotMailbox } from './doveadm';
import { postProvisioning, provisioningToken } from './http';
import { provisionInput, type ProvisionInput, type ProvisionOutcome, type ProvisionReport, type ProvisionedUser } from './schema';

/** Creates each user's mailbox on host2 (or finds it there). A failure names the user and what the method answered. */
export async function provisionMailboxes(raw: ProvisionInput): Promise<ProvisionReport> {
  const parsed = provisionInput.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw ApplicationFailure.nonRetryable(`invalid provisioning request: ${problems.join('; ')}`, 'InvalidProvisioningRequest');
  }
  const { method } = parsed.data;
  const seen = new Set<string>();
  const users = parsed.data.users.filter((u) => !seen.has(u.user) && seen.add(u.user));
  const ctx = asyncLocalStorage.getStore();
  const signal = ctx?.cancellationSignal;
  const token = method.method === 'http' ? await provisioningToken(method) : undefined;
  const createOne = (u: ProvisionedUser): Promise<ProvisionOutcome> => {
    switch (method.method) {
      case 'command':
        return runProvisioningCommand(method, u, signal);
      case 'http':
        return postProvisioning(method, u, token, signal);
      case 'doveadm':
        return createDovecotMailbox(method, u, signal);
    }
  };
  // Liveness for long lists, and while one user's command or request takes long
  // (the heartbeat timeout is shorter: workflows/runbook-activities.ts).
  let done = 0;
  const details = () => ({ action: 'provision', done, of: users.length });
  const results: ProvisionReport['users'] = [];
  const work = async () => {
    for (const u of users) {
      results.push({ user: u.user, outcome: await createOne(u) });
      done += 1;
      ctx?.heartbeat(details());
    }
  };
  await (ctx ? keepingAlive(() => ctx.heartbeat(details()), work) : work());
  ctx?.log.info('provisioned host2', { method: method.method, users: users.length, created: results.filter((r) => r.outcome === 'created').length });
  return { method: method.method, users: results };
}
