// The seeds' warnings as code (imapsync FAQ.Migration_Plan): what a sync may delete,
// and when the MX may move. Each rule has a test that tries to break it.
import { ApplicationFailure } from '@temporalio/workflow';

export type SyncKind = 'presync' | 'final' | 'postsync';

export interface MailboxPhase {
  /** Users were given host2 (credentials handed out, or the IMAP name moved). */
  usersOnHost2: boolean;
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
 * work on host2 or mail arrives there, it would destroy their new mail: never then.
 * Post-syncs never delete on host2; they delete on host1 only what is verified on host2
 * (--delete1: the engine expunges only messages it found on the destination).
 */
export function deletePermissions(kind: SyncKind, mailbox: MailboxPhase, facts: MigrationFacts): DeletePermissions {
  if (kind === 'postsync') return { deleteOnDestination: false, deleteOnSource: true };
  return { deleteOnDestination: !mailbox.usersOnHost2 && !facts.mxOnHost2, deleteOnSource: false };
}

export interface FinalSyncOutcome {
  completed: boolean;
  /** Messages on host1 that verification did not find on host2, all mailboxes. */
  missing: number;
  failedMailboxes: string[];
}

/** The MX moves only after a completed final sync whose verification found nothing missing. */
export function assertMxMayMove(finalSync: FinalSyncOutcome | undefined): void {
  if (!finalSync?.completed) {
    throw ApplicationFailure.nonRetryable('the MX cannot move before a completed final sync', 'PhaseRule');
  }
  if (finalSync.missing > 0 || finalSync.failedMailboxes.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `the MX cannot move: the final sync's verification found ${finalSync.missing} message(s) missing on host2` +
        (finalSync.failedMailboxes.length ? ` and failed for ${finalSync.failedMailboxes.join(', ')}` : ''),
      'PhaseRule',
    );
  }
}
