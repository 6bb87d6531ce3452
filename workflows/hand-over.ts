// Step 11 of the FAQ: users are given host2. From here, deleting on host2 is forbidden
// and rollback too (their new mail is there).
import { notifyNewCredentials, notifyUsers } from './notices';
import type { Runbook } from './runbook';

export async function handOverToHost2(run: Runbook): Promise<void> {
  await run.step('handing out host2');
  const users = run.usersOf();
  if (run.spec.scenario !== 'lucky') await notifyNewCredentials(run, users);
  // Lucky: mail clients see new UIDs on host2 and download their mail again; say it is normal.
  else await notifyUsers(run, 'users-mail-app-redownload', users);
  for (const u of users) run.mailboxes[u].usersOnHost2 = true;
}
