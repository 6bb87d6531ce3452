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

/**
 * Runs `work` over the folders with up to `parallel` connection pairs, each taking the next
 * folder when done (parallel writes help only into different folders). A folder whose
 * connection was lost is done again over a new pair (`reconnected` true). On the first
 * other failure the others finish their folder and stop; that failure is thrown.
 */
export async function forEachFolder<P, T>(
  req: SyncRequest,
  first: Connection,
  pairs: P[],
  parallel: number,
  work: (pair: P, conn: Connection, reconnected: boolean) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(pairs.length);
  const extra: Connection[] = [];
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
          try {
            conn = await connectPair(req);
          } catch (connectErr) {
            failure ??= { err: connectErr };
            return;
          }
          extra.push(conn);
        }
      }
    }
  };
  const workers = [worker(first)];
  for (let w = 1; w < Math.min(parallel, pairs.length); w++) {
    workers.push(
      connectPair(req).then(
        (conn) => (extra.push(conn), worker(conn)),
        (err) => void (failure ??= { err }),
      ),
    );
  }
  await Promise.allSettled(workers);
  await Promise.all(extra.flatMap((c) => [c.src.close(), c.dst.close()]));
  if (failure) throw failure.err;
  return results;
}
