// The seeds' warnings as code (imapsync FAQ.Migration_Plan): what a sync may delete,
// when the MX may move, and which failed steps may be skipped. Each rule has a test that
// tries to break it (test/workflows/phase-rules.test.ts).
import { ApplicationFailure } from '@temporalio/workflow';

/** `backfill` (scenario mx-first): old mail copied from host1 after the MX moved and users got host2. */
export type SyncKind = 'presync' | 'final' | 'postsync' | 'reverse' | 'backfill';

export interface MailboxPhase {
  /** Users were given host2 (credentials handed out, or the IMAP name moved). */
  usersOnHost2: boolean;
  /** host2 held messages that did not come from host1 (users who started early). */
  ownMailOnHost2?: boolean;
  /**
   * No sync of this mailbox has completed yet: host2 holds nothing mailshift copied, so
   * whatever it has that host1 lacks is the users' own, put there since preflight looked.
   */
  firstSync?: boolean;
  /**
   * The previous sync's state is not at hand (it failed, or its state did not fit a
   * payload): without host2's marks from then, mail users put there since cannot be told
   * from mail host1 no longer has.
   */
  withoutMarks?: boolean;
}

export interface MigrationFacts {
  mxOnHost2: boolean;
}

export interface DeletePermissions {
  deleteOnDestination: boolean;
  deleteOnSource: boolean;
}

/**
 * Deleting on host2 (--delete2) keeps pre-syncs and the final sync exact, but once users
 * work on host2 or mail arrives there, or where host2 holds users' own mail, it would
 * destroy it: never then. Nor in a mailbox's first sync: nothing mailshift copied is
 * there yet, so all host2 has that host1 lacks is the users' own. Nor without the previous
 * sync's marks: what arrived on host2 since cannot be told apart. Post-syncs never delete
 * on host2; they delete on host1 only what is verified on host2 (--delete1: the engine
 * expunges only messages it found on the destination). A rollback's reverse sync (host2
 * back to host1) deletes nothing, nor does a back-fill (mx-first): host2 is the users'
 * mailbox already, and host1 stays as it was, readable, until the operator closes it.
 */
export function deletePermissions(kind: SyncKind, mailbox: MailboxPhase, facts: MigrationFacts): DeletePermissions {
  if (kind === 'postsync') return { deleteOnDestination: false, deleteOnSource: true };
  if (kind === 'reverse' || kind === 'backfill') return { deleteOnDestination: false, deleteOnSource: false };
  return {
    deleteOnDestination: !mailbox.usersOnHost2 && !mailbox.ownMailOnHost2 && !mailbox.firstSync && !mailbox.withoutMarks && !facts.mxOnHost2,
    deleteOnSource: false,
  };
}

/** Each mailbox's final sync, as its verification judged it. */
export interface FinalSyncOutcome {
  /** Messages that existed on host1 when the mailbox's final sync started and are not on host2. */
  missing: Record<string, number>;
  /** Mailboxes whose final sync or its verification failed, with why. */
  failed: Record<string, string>;
}

/** Why the MX may not move yet (undefined: it may): every mailbox needs a verified final sync with nothing missing. */
export function mxMoveRefusal(finalSync: FinalSyncOutcome | undefined, mailboxes: string[]): string | undefined {
  const notSynced = mailboxes.filter((m) => finalSync?.missing[m] === undefined && finalSync?.failed[m] === undefined);
  const failed = Object.entries(finalSync?.failed ?? {});
  const missing = Object.entries(finalSync?.missing ?? {}).filter(([, n]) => n > 0);
  const list = (items: string[]) => items.slice(0, 10).join(', ') + (items.length > 10 ? `, … (${items.length} in all)` : '');
  const reasons = [
    notSynced.length ? `no verified final sync for ${list(notSynced)}` : '',
    failed.length ? `the final sync or its verification failed for ${list(failed.map(([m, why]) => `${m} (${why})`))}` : '',
    missing.length ? `messages missing on host2: ${list(missing.map(([m, n]) => `${m}: ${n}`))}` : '',
  ].filter(Boolean);
  return reasons.length ? `the MX cannot move: ${reasons.join('; ')}` : undefined;
}

/** The MX moves only after every mailbox's final sync was verified with nothing missing. */
export function assertMxMayMove(finalSync: FinalSyncOutcome | undefined, mailboxes: string[]): void {
  const refusal = mxMoveRefusal(finalSync, mailboxes);
  if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'PhaseRule');
}

/**
 * Held mail is released into host2 only for mailboxes whose final sync was verified with
 * nothing missing: released earlier, new mail would sit on host2 beside a mailbox the
 * final sync has not completed, and a failed sync would be retried over it.
 */
export function releaseRefusal(finalSync: FinalSyncOutcome | undefined, mailboxes: string[]): string | undefined {
  const unverified = mailboxes.filter((m) => finalSync?.missing[m] !== 0);
  if (!unverified.length) return undefined;
  const why = (m: string) => finalSync?.failed[m] ?? (finalSync?.missing[m] ? `${finalSync.missing[m]} missing on host2` : 'no verified final sync');
  return `held mail cannot be released into host2: ${unverified
    .slice(0, 10)
    .map((m) => `${m} (${why(m)})`)
    .join(', ')}${unverified.length > 10 ? `, … (${unverified.length} in all)` : ''}`;
}

/**
 * A holding relay holds mail for the whole domain: it is released into host2 only once
 * every mailbox of the migration was verified (one wave's verification never stands in
 * for another's), and never for an empty list of mailboxes, which would pass vacuously.
 */
export function relayReleaseRefusal(finalSync: FinalSyncOutcome | undefined, everyone: string[]): string | undefined {
  if (!everyone.length) return 'held mail cannot be released into host2: the relay holds mail for the whole domain, and no mailbox was named';
  return releaseRefusal(finalSync, everyone);
}

/**
 * The steps an approver may skip when they fail: a notice (tell users another way), a
 * post-sync (the next one catches up), restoring the TTL (do it by hand), the canary
 * (check the mail flow another way: gate canary lets it go on too). Never a step the
 * promises rest on: preflight, the final sync and its verification, cutting access, the
 * DNS switches.
 */
const SKIPPABLE = new Set(['notice', 'post-sync', 'restore TTL', 'canary']);

export function maySkip(step: string): boolean {
  return SKIPPABLE.has(step);
}
