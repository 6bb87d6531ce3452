// Both sides of one folder pair as the sync and the verification see them: host1's
// source folder(s) and host2's folder listed, filtered to what is in scope, and messages
// whose identity key is not unique told apart by content digests.
import type { ByteAllowance } from './byte-allowance';
import type { UidPosition } from './destination-marks';
import type { FolderPair } from './folder-plan';
import { addContentDigests, listMessages, type FolderListing, type MessageSummary } from './inventory';
import { oldestInScope, skipReason, type MessageFilters } from './message-filters';
import { ambiguousKeys } from './message-plan';
import type { ImapSession } from './session';
import type { MailboxSnapshot, SkipReason } from './types';

export interface FolderSettings {
  filters: MessageFilters;
  deleteOnDestination: boolean;
  deleteOnSource: boolean;
  dryRun: boolean;
  batchMessages: number;
  batchBytes: number;
  multiappend: boolean;
  /** What the sync may still copy (SyncRequest.maxBytes); absent: no limit. */
  allowance?: ByteAllowance;
  /** host2's largest message (size-audit.ts messageLimit): verification counts the missing ones over it. */
  messageLimit?: number;
}

/** Both sides of a folder, in scope, with ambiguous keys resolved by content digests. */
export interface FolderState {
  sources: FolderListing[];
  source: MessageSummary[];
  destination: MessageSummary[];
  skipped: Partial<Record<SkipReason, number>>;
  /** host2's STATUS before its listing (when snapshots were asked for). */
  destinationSnapshot?: MailboxSnapshot;
  /** host2's UIDVALIDITY and UIDNEXT before its listing (when the folder exists). */
  destinationAt?: UidPosition;
}

/** How many warnings, or sample messages, a folder's result keeps. */
export const WARNINGS_KEPT = 20;

export function inScope(messages: MessageSummary[], filters: MessageFilters, skipped?: Partial<Record<SkipReason, number>>): MessageSummary[] {
  return messages.filter((m) => {
    const reason = skipReason(m, filters);
    if (reason && skipped) skipped[reason] = (skipped[reason] ?? 0) + 1;
    return !reason;
  });
}

/** Reads the bodies of messages whose key is not unique, on either side, to tell them apart. */
export async function resolveAmbiguity(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  source: MessageSummary[],
  destination: MessageSummary[],
  settings: FolderSettings,
  tick: () => void,
): Promise<void> {
  const ambiguous = ambiguousKeys(source, destination);
  if (!ambiguous.size) return;
  const needs = (m: MessageSummary) => ambiguous.has(m.key) && !m.digest;
  for (const [origin, folder] of pair.sources.entries()) {
    await addContentDigests(
      src,
      folder.path,
      source.filter((m) => m.origin === origin && needs(m)),
      settings.batchBytes,
      tick,
    );
  }
  await addContentDigests(dst, pair.path, destination.filter(needs), settings.batchBytes, tick);
}

/**
 * Lists both sides of a folder pair, in scope, ambiguous keys resolved. host2 first: when
 * it holds nothing in scope, every host1 message is to copy whatever its identity, so host1
 * is listed without the identity headers (the server need not open each message for them)
 * unless `identity` says they are needed anyway (reports naming messages, --delete1).
 * A host2 folder known empty (created by this run, `knownEmpty`) is listed at the same time
 * as host1, once `destinationReady` (its CREATE) is done: host1's round trips then overlap
 * host2's instead of following them.
 */
export async function readState(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  destinationExists: boolean,
  tick: () => void,
  options: { snapshot?: boolean; identity: 'always' | 'when-needed'; knownEmpty?: boolean; destinationReady?: Promise<void> },
): Promise<FolderState> {
  const since = oldestInScope(settings.filters);
  const snapshot = !!options.snapshot;
  const mode = settings.dryRun ? 'read-only' : 'read-write';
  const listDestination = async () => {
    await options.destinationReady;
    return destinationExists ? listMessages(dst, pair.path, { mode, since, tick, snapshot }) : undefined;
  };
  const listSources = async (identity: boolean) => {
    const listed: FolderListing[] = [];
    for (const [origin, folder] of pair.sources.entries()) {
      listed.push(await listMessages(src, folder.path, { mode: 'read-only', since, origin, tick, snapshot, identity }));
    }
    return listed;
  };
  let listing: FolderListing | undefined;
  let sources: FolderListing[];
  if (options.knownEmpty) {
    [listing, sources] = await both(listDestination(), listSources(options.identity === 'always'));
  } else {
    listing = await listDestination();
    sources = [];
  }
  const destination = listing ? inScope(listing.messages, settings.filters) : [];
  const identity = options.identity === 'always' || destination.length > 0;
  // Not listed yet, or listed without the identities that host2's (unexpected) mail needs.
  if (!options.knownEmpty || (identity && options.identity !== 'always')) sources = await listSources(identity);
  const skipped: Partial<Record<SkipReason, number>> = {};
  const olderNotListed = sources.reduce((n, l) => n + l.olderNotListed, 0);
  if (olderNotListed) skipped['older-than-max-age'] = olderNotListed;
  const source = inScope(
    sources.flatMap((l) => l.messages),
    settings.filters,
    skipped,
  );
  if (identity) await resolveAmbiguity(pair, src, dst, source, destination, settings, tick);
  const status = listing?.snapshot?.uidValidity === listing?.uidValidity ? listing?.snapshot : undefined;
  const destinationAt = listing && { uidValidity: listing.uidValidity, uidNext: status?.uidNext ?? listing.uidNext };
  return { sources, source, destination, skipped, destinationSnapshot: listing?.snapshot, destinationAt };
}

/** Both results; when either fails, its failure once the other is done too (no command left running behind it). */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}
