// Cutting and restoring users' access to host1 a page of users at a time: one activity's
// input and its report (a line per user) stay small however large the wave, and a retry
// redoes one page, not the whole wave. What only host1 can do (its deny list, doveadm)
// runs on the worker beside it when the spec names one (access.workerQueue).
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';
import { pages } from './mailbox-pages';
import type { AccessMethod } from './spec';
import { accessOptions, actOptions } from './runbook-activities';

/** Users per access activity: its report is ~50 bytes a user, far from a payload's limit. */
export const ACCESS_PAGE = 1_000;

/** The activities on host1's worker, or on the migration's own; and the method as the activities take it. */
function onHost1(access: AccessMethod) {
  const { workerQueue, ...method } = access as AccessMethod & { workerQueue?: string };
  const queue = workerQueue ? { taskQueue: workerQueue } : {};
  return {
    method,
    access: proxyActivities<Pick<typeof activities, 'cutAccess' | 'restoreAccess'>>({ ...accessOptions, ...queue }),
    doveadm: proxyActivities<Pick<typeof activities, 'closeSessions'>>({ ...actOptions, ...queue }),
  };
}

export async function cutAccess(access: AccessMethod, users: string[]): Promise<void> {
  const { method, access: act } = onHost1(access);
  for (const page of pages(users, ACCESS_PAGE)) await act.cutAccess({ method, users: page, phase: 'cutover' });
}

export async function restoreAccess(access: AccessMethod, users: string[]): Promise<void> {
  const { method, access: act } = onHost1(access);
  for (const page of pages(users, ACCESS_PAGE)) await act.restoreAccess({ method, users: page, phase: 'rollback' });
}

export async function closeSessions(access: AccessMethod, doveadmConfig: string, users: string[]): Promise<void> {
  const { doveadm } = onHost1(access);
  for (const page of pages(users, ACCESS_PAGE)) await doveadm.closeSessions({ doveadmConfig, users: page });
}
