// Cutting and restoring users' access to host1 a page of users at a time: one activity's
// input and its report (a line per user) stay small however large the wave, and a retry
// redoes one page, not the whole wave.
import type { AccessInput } from '../activities/access/schema';
import { accessAct, act } from './runbook-activities';

/** Users per access activity: its report is ~50 bytes a user, far from a payload's limit. */
export const ACCESS_PAGE = 1_000;

const pages = (users: string[]) => Array.from({ length: Math.ceil(users.length / ACCESS_PAGE) }, (_, i) => users.slice(i * ACCESS_PAGE, (i + 1) * ACCESS_PAGE));

export async function cutAccess(method: AccessInput['method'], users: string[]): Promise<void> {
  for (const page of pages(users)) await accessAct.cutAccess({ method, users: page, phase: 'cutover' });
}

export async function restoreAccess(method: AccessInput['method'], users: string[]): Promise<void> {
  for (const page of pages(users)) await accessAct.restoreAccess({ method, users: page, phase: 'rollback' });
}

export async function closeSessions(doveadmConfig: string, users: string[]): Promise<void> {
  for (const page of pages(users)) await act.closeSessions({ doveadmConfig, users: page });
}
