// The mailboxes as the workflows hold them, however many: the runbook keeps a roster (each
// user and wave, in memory, never in a payload) and hands its children pages of users; a
// child gets the mailboxes' logins from the spec (listed there) or reads its page from the
// file (spec mailboxList, activities/mailbox-pages.ts). No payload carries the whole list.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { Mailbox, MigrationSpec } from './spec';

/** Users per page a child workflow works on (a round, a notice round): its input and result stay small. */
export const MAILBOX_PAGE = 1_000;
/** Users per roster read: ~40 bytes each in the runbook's history. */
const ROSTER_PAGE = 20_000;

// A list edited since the migration started is refused until it is put back: retry meanwhile.
const { readRoster, readMailboxes, readDestinationUsers } = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface RosterEntry {
  user: string;
  wave: string;
}

/** Every mailbox's host1 user and wave, in the list's order. */
export async function loadRoster(spec: MigrationSpec): Promise<RosterEntry[]> {
  if (!spec.listed) return spec.mailboxes.map((m) => ({ user: m.source.user, wave: m.wave }));
  const { mailboxList: list, listed } = spec;
  const roster: RosterEntry[] = [];
  for (let offset = 0; offset < listed.count; offset += ROSTER_PAGE) {
    const page = await readRoster({ list: list!, listed, offset, limit: ROSTER_PAGE });
    page.users.forEach((user, i) => roster.push({ user, wave: page.waves[page.wave[i]] }));
  }
  return roster;
}

/** `users` in pages of at most `size`. */
export const pages = <T>(users: T[], size = MAILBOX_PAGE): T[][] =>
  Array.from({ length: Math.ceil(users.length / size) }, (_, i) => users.slice(i * size, (i + 1) * size));

/** The spec a child gets for `users`: their mailboxes when the spec lists them, the file's reference otherwise. */
export function specFor(spec: MigrationSpec, users: string[]): MigrationSpec {
  if (spec.listed) return spec;
  const given = new Set(users);
  return { ...spec, mailboxes: spec.mailboxes.filter((m) => given.has(m.source.user)) };
}

/** The mailboxes of `users` (a page), in that order. */
export async function mailboxesOf(spec: MigrationSpec, users: string[]): Promise<Mailbox[]> {
  if (!spec.listed) {
    const byUser = new Map(spec.mailboxes.map((m) => [m.source.user, m]));
    return users.flatMap((u) => byUser.get(u) ?? []);
  }
  return readMailboxes({ list: spec.mailboxList!, listed: spec.listed, users });
}

/** The host2 logins of `users` (a page), in that order: what provisioning needs, and no more in history. */
export async function destinationUsersOf(spec: MigrationSpec, users: string[]): Promise<string[]> {
  if (spec.listed) return readDestinationUsers({ list: spec.mailboxList!, listed: spec.listed, users });
  return (await mailboxesOf(spec, users)).map((m) => m.destination.user);
}
