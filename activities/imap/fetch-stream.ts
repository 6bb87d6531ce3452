// FETCH, read off the wire. imapflow takes every server response through a general
// pipeline: a stream of lines and literals, a tokenizer for all of IMAP's syntax, a
// formatter that compiles each item's name back to text, a queue per command, several
// promises a row. That is ~50 µs of CPU a row; a copy of 10,000 messages reads 20,000
// rows (the listing, then the bodies), and on a 2-core machine the client's CPU is taken
// from the two servers it is waiting for (mailshift sync: 0.8 s of its 3 s).
//
// While one of our FETCH commands is on the wire, this reader sits in front of imapflow's
// response stream: it cuts the connection's bytes (after TLS and COMPRESS) into responses,
// reads the rows the command asked for itself (fetch-row.ts) and hands every other
// response to imapflow unchanged and in order: the tagged completion, EXISTS, EXPUNGE, an
// unsolicited FETCH, a row with anything unexpected in it (imapflow parses that one, and it
// comes to the same callback), or a line or literal too large for us (imapflow's limits
// apply). It only starts on a response boundary of imapflow's stream, and gives back what
// it holds of a response when the command ends. Each row waits for the callback before the
// next is read, so memory stays bounded as with imapflow's fetch(). Without the internals
// it needs (imapflow-internals.ts), imapflow reads everything.
import type { ImapFlow } from 'imapflow';
import { readFetchRow, type FetchedRow, type RowItems } from './fetch-row';
import {
  atResponseBoundary,
  enhanceCommandError,
  execOf,
  formatFetchResponse,
  markProcessing,
  responseStreamOf,
  type Attribute,
  type ResponseStream,
  type Untagged,
} from './imapflow-internals';

export type { FetchedRow } from './fetch-row';

/** A line or literal longer than this goes to imapflow, whose own limits then apply. */
const MAX_LINE = 64 * 1024;
const MAX_LITERAL = 256 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export interface FetchRequest extends RowItems {
  /** A message set ("1:*", "5,7:9"): UIDs with `byUid`, else sequence numbers. */
  range: string;
  byUid: boolean;
  /** Header fields for `headers` (BODY.PEEK[HEADER.FIELDS (…)]). */
  headerFields?: readonly string[];
  /** CONDSTORE: only messages whose MODSEQ is higher. */
  changedSince?: bigint;
  /** Only these UIDs are read here (others go to imapflow and come back through it). */
  uids?: Set<number>;
}

type PassOn = (bytes: Buffer) => Promise<void>;

/** The responses of one command, cut apart; our rows delivered, everything else passed on. */
class RowReader {
  private active = true;
  private started = false;
  private handedOver = false;
  private busy = false;
  private lines: Buffer[] = [];
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private literals: Buffer[] = [];
  private literalParts: Buffer[] = [];
  private literalLeft = 0;
  /** Every byte of the response being read, for imapflow should it be not ours. */
  private raw: Buffer[] = [];
  private rawBytes = 0;

  constructor(
    private readonly stream: ResponseStream,
    private readonly request: FetchRequest,
    private readonly deliver: (row: FetchedRow) => Promise<void>,
    private readonly passOn: PassOn,
  ) {}

  /** Whether chunks should come here at all (after stop(), until it has given back what it holds). */
  get engaged(): boolean {
    return this.active || this.busy || this.rawBytes > 0;
  }

  async take(chunk: Buffer): Promise<void> {
    this.busy = true;
    try {
      // imapflow may hold the start of a response (one that began before our command): then it reads on.
      if (!this.started) {
        if (!this.active || !atResponseBoundary(this.stream)) return await this.passOn(chunk);
        this.started = true;
      }
      let pos = 0;
      while (pos < chunk.length && this.active && !this.handedOver) {
        if (this.literalLeft) {
          const piece = chunk.subarray(pos, pos + this.literalLeft);
          this.literalParts.push(piece);
          this.keep(piece);
          this.literalLeft -= piece.length;
          pos += piece.length;
          if (!this.literalLeft) {
            this.literals.push(Buffer.concat(this.literalParts));
            this.literalParts = [];
          }
          continue;
        }
        const lf = chunk.indexOf(0x0a, pos);
        const piece = chunk.subarray(pos, lf < 0 ? chunk.length : lf + 1);
        pos += piece.length;
        this.partial.push(piece);
        this.partialBytes += piece.length;
        this.keep(piece);
        if (lf < 0) {
          if (this.partialBytes > MAX_LINE) this.handedOver = true;
          continue;
        }
        const line = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial, this.partialBytes);
        this.partial = [];
        this.partialBytes = 0;
        this.lines.push(line);
        const size = literalSize(line);
        if (size > MAX_LITERAL) this.handedOver = true;
        else if (size >= 0) {
          this.literalLeft = size;
          if (!size) this.literals.push(EMPTY);
        } else await this.complete();
      }
      // Ended, or too large for us: what is held of a response, and the rest, go to imapflow.
      if (!this.active || this.handedOver) await this.giveBack(chunk.subarray(pos));
    } finally {
      this.busy = false;
    }
  }

  /** The command is over: a response half-read here goes to imapflow now, or when take() sees it. */
  stop(): void {
    this.active = false;
    if (!this.busy && this.rawBytes) this.giveBack(EMPTY).catch(() => undefined);
  }

  private keep(piece: Buffer): void {
    this.raw.push(piece);
    this.rawBytes += piece.length;
  }

  private giveBack(rest: Buffer): Promise<void> {
    const held = this.rawBytes ? Buffer.concat([...this.raw, rest]) : rest;
    this.reset();
    this.partial = [];
    this.partialBytes = 0;
    this.literalParts = [];
    this.literalLeft = 0;
    return held.length ? this.passOn(held) : Promise.resolve();
  }

  private reset(): void {
    this.lines = [];
    this.literals = [];
    this.raw = [];
    this.rawBytes = 0;
  }

  private async complete(): Promise<void> {
    const text = this.lines.length === 1 ? this.lines[0] : Buffer.concat(this.lines);
    const row = readFetchRow(text, this.literals, this.request);
    const { raw, rawBytes } = this;
    this.reset();
    if (!row || (this.request.uids && !this.request.uids.has(row.uid))) {
      return this.passOn(raw.length === 1 ? raw[0] : Buffer.concat(raw, rawBytes));
    }
    this.request.uids?.delete(row.uid);
    this.stream.readBytesCounter += rawBytes;
    await this.deliver(row);
  }
}

/** N of a line ending in a literal's `{N}` (or `~{N}`), else -1. */
function literalSize(line: Buffer): number {
  let end = line.length - 1;
  if (line[end - 1] === 0x0d) end--;
  if (line[end - 1] !== 0x7d) return -1;
  let n = 0;
  let scale = 1;
  for (let i = end - 2; i >= 0 && end - 2 - i < 11; i--) {
    const c = line[i];
    if (c === 0x7b) return i < end - 2 ? n : -1;
    if (c < 0x30 || c > 0x39) return -1;
    n += (c - 0x30) * scale;
    scale *= 10;
  }
  return -1;
}

type Slot = { reader?: RowReader; passOn?: PassOn };
const slots = new WeakMap<ResponseStream, Slot>();

/**
 * Reads `request`'s rows off `stream` from now on, handing each to `deliver` (awaited), and
 * everything else to imapflow, until stop(). At most one at a time per stream: a new one
 * takes over.
 */
export function tapRows(stream: ResponseStream, request: FetchRequest, deliver: (row: FetchedRow) => Promise<void>): { stop(): void } {
  let slot = slots.get(stream);
  if (!slot) {
    const s: Slot = {};
    const original = stream._transform;
    stream._transform = (chunk, encoding, next) => {
      const reader = s.reader;
      if (!reader?.engaged || !Buffer.isBuffer(chunk) || stream.destroyed) return original.call(stream, chunk, encoding, next);
      reader.take(chunk).then(
        () => next(),
        (err: Error) => next(err),
      );
    };
    s.passOn = (bytes) => new Promise((resolve, reject) => original.call(stream, bytes, undefined, (err) => (err ? reject(err) : resolve())));
    slots.set(stream, (slot = s));
  }
  const reader = new RowReader(stream, { ...request, uids: request.uids && new Set(request.uids) }, deliver, slot.passOn!);
  const owner = slot;
  owner.reader = reader;
  return {
    stop() {
      reader.stop();
      if (owner.reader === reader && !reader.engaged) owner.reader = undefined;
    },
  };
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
      modseq: m.modseq,
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

/** "1:3,5,8:9" from UIDs in increasing order. */
export function uidSet(uids: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length;) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j] + 1) j++;
    parts.push(i === j ? `${uids[i]}` : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
