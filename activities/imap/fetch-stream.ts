// FETCH, read off the wire. imapflow takes every server response through a general
// pipeline: a stream of lines and literals, a tokenizer for all of IMAP's syntax, a
// formatter that compiles each item's name back to text, a queue per command, several
// promises a row. That is ~50 µs of CPU a row; a copy of 10,000 messages reads 20,000
// rows (the listing, then the bodies), and on a 2-core machine the client's CPU is taken
// from the two servers it is waiting for (mailshift sync: 1.2 s of its 3.4 s of CPU).
//
// Here our FETCH commands are sent through imapflow, and while one is on the wire a tap
// (fetch-tap.ts) reads the rows it asked for straight off the connection; everything else
// goes to imapflow unchanged and in order, and a row the tap leaves to imapflow (anything
// unexpected in it) comes to the same callback through imapflow's formatter. Each row
// waits for the callback before the next is read, so memory stays bounded as with
// imapflow's fetch(). Without the internals it needs (imapflow-internals.ts), imapflow
// reads everything.
import type { ImapFlow } from 'imapflow';
import type { FetchedRow, RowItems } from './fetch-row';
import { tapRows } from './fetch-tap';
import { enhanceCommandError, execOf, formatFetchResponse, markProcessing, responseStreamOf, type Attribute, type Untagged } from './imapflow-internals';

export type { FetchedRow } from './fetch-row';

export interface FetchRequest extends RowItems {
  /** A message set ("1:*", "5,7:9"): UIDs with `byUid`, else sequence numbers. */
  range: string;
  byUid: boolean;
  /** Header fields for `headers` (BODY.PEEK[HEADER.FIELDS (…)]). */
  headerFields?: readonly string[];
  /** CONDSTORE: only messages whose MODSEQ is higher. */
  changedSince?: bigint;
  /** Only these UIDs are read off the wire (others go to imapflow and come back through it). */
  uids?: Set<number>;
}

/** The FETCH command's attribute nodes, as imapflow's fetch() would build them. */
function fetchAttributes(client: ImapFlow, request: FetchRequest): unknown[] {
  const items: Attribute[] = [{ type: 'ATOM', value: 'UID' }];
  if (request.flags) items.push({ type: 'ATOM', value: 'FLAGS' });
  if (request.internalDate) items.push({ type: 'ATOM', value: 'INTERNALDATE' });
  if (request.size) items.push({ type: 'ATOM', value: 'RFC822.SIZE' });
  if (request.source) items.push({ type: 'ATOM', value: 'BODY.PEEK', section: [] });
  if (request.headers) {
    const fields = (request.headerFields ?? []).map((value) => ({ type: 'ATOM', value }));
    items.push({ type: 'ATOM', value: 'BODY.PEEK', section: [{ type: 'ATOM', value: 'HEADER.FIELDS' }, fields] });
  }
  const attributes: unknown[] = [{ type: 'SEQUENCE', value: request.range }, items];
  if (request.changedSince !== undefined && client.enabled.has('CONDSTORE')) {
    attributes.push([
      { type: 'ATOM', value: 'CHANGEDSINCE' },
      { type: 'ATOM', value: request.changedSince.toString() },
    ]);
  }
  return attributes;
}

/**
 * FETCHes `request.range` of the selected folder and calls `onRow` with each message, in
 * the server's order, awaiting it before reading on. A failing `onRow` fails the call once
 * the command is over (its other rows are dropped). Errors are imapflow's, with
 * `responseStatus` and `serverResponseCode` (NO/BAD), as its fetch() throws them.
 */
export async function fetchRows(client: ImapFlow, request: FetchRequest, onRow: (row: FetchedRow) => Promise<void> | void): Promise<void> {
  const exec = execOf(client);
  if (!exec) throw Object.assign(new Error('imapflow cannot send a FETCH of its own here'), { code: 'NoConnection' });
  let failure: { err: unknown } | undefined;
  const deliver = async (row: FetchedRow) => {
    if (failure) return;
    markProcessing(client, true);
    try {
      await onRow(row);
    } catch (err) {
      failure = { err };
    } finally {
      markProcessing(client, false);
    }
  };
  // Rows imapflow reads (not ours, or no tap): the same callback, through its formatter.
  const fromImapflow = async (untagged: Untagged) => {
    const m = await formatFetchResponse(client, untagged);
    if (!m.uid) return;
    await deliver({
      uid: m.uid,
      size: m.size,
      internalDate: m.internalDate === undefined ? undefined : new Date(m.internalDate).getTime(),
      flags: m.flags && [...m.flags],
      headers: m.headers,
      source: m.source,
    });
  };
  const stream = responseStreamOf(client);
  let tap: { stop(): void } | undefined;
  try {
    const response = await exec(request.byUid ? 'UID FETCH' : 'FETCH', fetchAttributes(client, request), {
      untagged: { FETCH: fromImapflow },
      ...(stream && { onSend: () => void (tap = tapRows(stream, request, deliver)) }),
    });
    response.next();
  } catch (err) {
    if (err && typeof err === 'object' && 'response' in err) await enhanceCommandError(err as Parameters<typeof enhanceCommandError>[0]);
    throw err;
  } finally {
    tap?.stop();
  }
  if (failure) throw failure.err;
}
