// A running migration's mailbox list (spec mailboxList), a page at a time: the roster of
// users and waves the runbook keeps in memory, and the mailboxes a child workflow works on.
// Only the list the migration was validated with is read (its SHA-256): a list that was
// edited since (in its file or on its server) would move other users than the approvers
// saw, so it is refused until it is put back (the activity retries; its last failure says
// why in the UI).
import { ApplicationFailure } from '@temporalio/common';
import type { ListedFile, Mailbox, MigrationSpec } from '../workflows/spec';
import { mailbox } from '../workflows/spec-mailboxes';
import { readMailboxList } from './mailbox-list';

/** The list as the workflows read it: the spec's reference and the digest it was validated with. */
export interface ListRef {
  list: NonNullable<MigrationSpec['mailboxList']>;
  listed: ListedFile;
}

/** Users and waves from one offset, in the list's order. */
export interface RosterPage {
  users: string[];
  /** Each user's wave, as an index in `waves`. */
  wave: number[];
  waves: string[];
}

// The last list read, parsed: every page of a migration reads the same list. Pages asked
// for together share one read (a URL is fetched once, not once per page).
let cached: { key: string; list: Promise<ParsedList> } | undefined;

interface ParsedList {
  mailboxes: Mailbox[];
  index: Map<string, number>;
}

function listOf({ list, listed }: ListRef): Promise<ParsedList> {
  const key = `${list.from}#${listed.sha256}`;
  if (cached?.key === key) return cached.list;
  const entry = { key, list: parseList({ list, listed }) };
  cached = entry;
  // A refused read is tried again by the next activity, not remembered.
  entry.list.catch(() => {
    if (cached === entry) cached = undefined;
  });
  return entry.list;
}

async function parseList({ list, listed }: ListRef): Promise<ParsedList> {
  const read = await readMailboxList(list);
  if (read.problems.length || read.sha256 !== listed.sha256) {
    const why = read.problems.length ? read.problems[0] : `its SHA-256 is ${read.sha256}, not ${listed.sha256} as when the migration started`;
    throw ApplicationFailure.retryable(
      `the mailbox list ${list.from} is not the one this migration was validated with: ${why}; put that list back`,
      'MailboxListChanged',
    );
  }
  const mailboxes = read.mailboxes.map((row) => mailbox.parse(row));
  return { mailboxes, index: new Map(mailboxes.map((m, i) => [m.source.user, i])) };
}

export async function readRoster(ref: ListRef & { offset: number; limit: number }): Promise<RosterPage> {
  const page = (await listOf(ref)).mailboxes.slice(ref.offset, ref.offset + ref.limit);
  const waves = [...new Set(page.map((m) => m.wave))];
  return { users: page.map((m) => m.source.user), wave: page.map((m) => waves.indexOf(m.wave)), waves };
}

/** The mailboxes of `users` (host1 logins), in that order. */
export async function readMailboxes(ref: ListRef & { users: string[] }): Promise<Mailbox[]> {
  const { mailboxes, index } = await listOf(ref);
  return ref.users.map((u) => {
    const i = index.get(u);
    if (i === undefined) throw ApplicationFailure.nonRetryable(`the mailbox list ${ref.list.from} has no mailbox ${u}`, 'UnknownMailbox');
    return mailboxes[i];
  });
}

/** The host2 logins of `users` (host1 logins), in that order. */
export async function readDestinationUsers(ref: ListRef & { users: string[] }): Promise<string[]> {
  return (await readMailboxes(ref)).map((m) => m.destination.user);
}
