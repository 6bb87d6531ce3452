// The host1/host2 connection pairs a mailbox is synced over, and what happens when one of
// them ends mid-folder: a server may close a session whose OAuth2 token expired (Exchange
// Online answers `* BYE Session invalidated - AccessTokenExpired`), or drop it for any
// reason. The pair is opened anew (a fresh token for oauth2 logins) and the folder done
// again: messages are recognised by identity, so what was copied is not copied twice.
import { ApplicationFailure } from '@temporalio/common';
import { openSession, type ImapSession } from './session';
import type { SyncRequest } from './types';

export interface Connection {
  src: ImapSession;
  dst: ImapSession;
}

/** Folders done again over a new pair before the failure goes to Temporal's retry policy. */
const RECONNECTS_PER_FOLDER = 2;

export async function connectPair(req: SyncRequest): Promise<Connection> {
  const options = { compress: !!req.tuning?.compress };
  const [src, dst] = await Promise.allSettled([
    openSession('host1', req.source, req.mailbox, options),
    openSession('host2', req.destination, req.mailbox, options),
  ]);
  if (src.status === 'fulfilled' && dst.status === 'fulfilled') return { src: src.value, dst: dst.value };
  if (src.status === 'fulfilled') await src.value.close();
  if (dst.status === 'fulfilled') await dst.value.close();
  throw src.status === 'rejected' ? src.reason : (dst as PromiseRejectedResult).reason;
}

/** A retryable failure (not a cancellation, not a full quota) with one of the pair's connections gone. */
function connectionLost(err: unknown, conn: Connection): boolean {
  const retryable = err instanceof ApplicationFailure && !err.nonRetryable;
  return retryable && (!conn.src.client.usable || !conn.dst.client.usable);
}

/** Messages to read before another connection pair pays for its two logins (about 10 MB of mail). */
const MESSAGES_PER_EXTRA_PAIR = 250;

/**
 * How many connection pairs a sync needs beyond the first: one more per folder to do at
 * once, up to `parallel` in all, and none for little work, so a small or unchanged
 * mailbox never logs in twice. `work` is each folder's messages to read (Infinity when
 * unknown: a server without LIST-STATUS counters).
 */
export function extraPairs(work: number[], parallel: number): number {
  const total = work.reduce((n, w) => n + w, 0);
  return Math.max(0, Math.min(parallel - 1, work.length - 1, Math.floor(total / MESSAGES_PER_EXTRA_PAIR)));
}

/**
 * Starts logging in `count` more pairs now, so they are ready when the folders are. Each
 * starts knowing the folders `first` listed: imapflow SELECTs a folder it has not listed
 * only after listing it (LIST, LIST, LSUB: three round trips per folder and connection).
 */
export function openPairs(req: SyncRequest, count: number, first: Connection): Promise<Connection>[] {
  return Array.from({ length: count }, () =>
    connectPair(req).then((conn) => {
      knowFolders(first.src, conn.src);
      knowFolders(first.dst, conn.dst);
      return conn;
    }),
  );
}

/**
 * imapflow keeps what LIST told it in its undeclared `folders` map (path → entry); copying
 * the entries the other connection does not have spares those LISTs. Without the map
 * (another imapflow) nothing is copied and imapflow lists as before.
 */
function knowFolders(from: ImapSession, to: ImapSession): void {
  const known = (from.client as unknown as { folders?: unknown }).folders;
  const target = (to.client as unknown as { folders?: unknown }).folders;
  if (!(known instanceof Map) || !(target instanceof Map)) return;
  for (const [path, entry] of known) if (!target.has(path)) target.set(path, entry);
}

/**
 * Runs `work` over the folders on the first connection pair and the `extra` ones (being
 * opened), each taking the next folder when done (parallel writes help only into
 * different folders). A folder whose connection was lost is done again over a new pair
 * (`reconnected` true; a new first pair replaces `first`'s connections in place). On the
 * first other failure the others finish their folder and stop; that failure is thrown.
 * Every pair but the first is closed before returning.
 */
export async function forEachFolder<P, T>(
  req: SyncRequest,
  first: Connection,
  extra: Promise<Connection>[],
  pairs: P[],
  work: (pair: P, conn: Connection, reconnected: boolean) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(pairs.length);
  const opened: Connection[] = [];
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (start: Connection) => {
    let conn = start;
    while (!failure && next < pairs.length) {
      const i = next++;
      for (let reconnects = 0; ; reconnects++) {
        try {
          results[i] = await work(pairs[i], conn, reconnects > 0);
          break;
        } catch (err) {
          if (reconnects >= RECONNECTS_PER_FOLDER || !connectionLost(err, conn)) {
            failure ??= { err };
            break;
          }
          await Promise.all([conn.src.close(), conn.dst.close()]);
          let fresh: Connection;
          try {
            fresh = await connectPair(req);
          } catch (connectErr) {
            failure ??= { err: connectErr };
            return;
          }
          // The caller goes on using (and closes) the first pair: it gets the new connections.
          if (conn === first) Object.assign(first, fresh);
          else opened.push((conn = fresh));
        }
      }
    }
  };
  const workers = [
    worker(first),
    ...extra.map((pending) =>
      pending.then(
        (conn) => (opened.push(conn), worker(conn)),
        (err) => void (failure ??= { err }),
      ),
    ),
  ];
  await Promise.allSettled(workers);
  await Promise.all(opened.flatMap((c) => [c.src.close(), c.dst.close()]));
  if (failure) throw failure.err;
  return results;
}
