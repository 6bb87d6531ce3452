// The tap behind fetch-stream.ts: while one of our FETCH commands is on the wire, it sits in
// front of imapflow's response stream (its Transform's input, after TLS and COMPRESS), cuts
// the bytes into responses, reads the command's rows itself (fetch-row.ts) and hands every
// other response to imapflow unchanged and in order. It starts only on a response boundary
// of imapflow's stream, gives back what it holds of a response when stopped, and leaves a
// line or literal too large for it to imapflow's own limits.
import { readFetchRow, type FetchedRow, type RowItems } from './fetch-row';
import { atResponseBoundary, type ResponseStream } from './imapflow-internals';

/** A line or literal longer than this goes to imapflow, whose own limits then apply. */
const MAX_LINE = 64 * 1024;
const MAX_LITERAL = 256 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** What a tap reads: the row's items, and only these UIDs when given. */
export interface TapRequest extends RowItems {
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
    private readonly request: TapRequest,
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
export function tapRows(stream: ResponseStream, request: TapRequest, deliver: (row: FetchedRow) => Promise<void>): { stop(): void } {
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
