// The migration plan's first step: create the users' mailboxes on host2 (spec
// `provisioning`), before preflight, so that a host2 refusing the login of a mailbox not
// created yet passes it. Before gate start too: it only creates empty mailboxes, and
// idempotently, so a rollback or a second run leaves nothing that matters. A page
// of users at a time, like access-steps.ts: an activity's input and report stay small
// however many mailboxes, and a retry redoes one page (the methods are idempotent). What
// only host2 can do (doveadm) runs on the worker beside it (provisioning.workerQueue).
// Without `provisioning` nothing happens: no phase, no command in the workflow's history.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';
import { ACCESS_PAGE } from './access-steps';
import { destinationUsersOf, pages } from './mailbox-pages';
import type { Runbook } from './runbook';
import { accessOptions } from './runbook-activities';

export async function provisionHost2(run: Runbook): Promise<void> {
  if (!run.spec.provisioning) return;
  const { workerQueue, ...method } = run.spec.provisioning;
  // Heartbeats like the access activities: a worker that dies mid-page is noticed in 15 s.
  const act = proxyActivities<Pick<typeof activities, 'provisionMailboxes'>>({ ...accessOptions, ...(workerQueue && { taskQueue: workerQueue }) });
  await run.step('provisioning host2');
  for (const sources of pages(run.usersOf(), ACCESS_PAGE)) {
    const destinations = await destinationUsersOf(run.spec, sources);
    const report = await act.provisionMailboxes({ method, users: sources.map((mailbox, i) => ({ user: destinations[i], mailbox })) });
    const created = report.users.filter((u) => u.outcome === 'created').map((u) => u.user);
    run.audit.push({ at: new Date().toISOString(), kind: 'provisioning', method: method.method, created, alreadyThere: report.users.length - created.length });
  }
}
