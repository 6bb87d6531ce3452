// One FETCH row as our own FETCH commands get it, read from its text: UID, RFC822.SIZE,
// FLAGS, INTERNALDATE, MODSEQ, BODY[] and BODY[HEADER.FIELDS (…)], in any order, plain
// ASCII. Anything else in a row (another item, a quoted or NIL body, a partial, an escape,
// a byte over 0x7e) makes it "not ours": fetch-tap.ts then hands the row to imapflow,
// whose general parser reads everything. test/imap/fetch-row.test.ts holds the result to
// imapflow's own reading of the same bytes.

/** What fetch-stream.ts hands over for each message of a FETCH. */
export interface FetchedRow {
  uid: number;
  size?: number;
  /** Epoch ms, as `new Date(<INTERNALDATE>)` reads it. */
  internalDate?: number;
  /** As the server sent them. */
  flags?: string[];
  /** BODY[HEADER.FIELDS (…)]. */
  headers?: Buffer;
  /** BODY[]: the message. */
  source?: Buffer;
}

/** Which items a row must hold (UID always; MODSEQ may come too, with CONDSTORE, and is passed over). */
export interface RowItems {
  size?: boolean;
  flags?: boolean;
  internalDate?: boolean;
  headers?: boolean;
  source?: boolean;
}

/** Longer rows (hundreds of keywords or header names) go to imapflow, which bounds them. */
const MAX_ROW_TEXT = 4096;
const DIGITS = /^[0-9]{1,10}$/;
const MODSEQ = /^[0-9]{1,19}$/;
const FLAG = /^\\?[A-Za-z0-9$_.-]+$/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;

/**
 * The row whose text lines (`* <seq> FETCH (…`, each literal's `{N}\r\n` marker ending a
 * line) and literals are given, when it holds exactly the `items` asked for; else undefined.
 */
export function readFetchRow(text: Buffer, literals: Buffer[], items: RowItems): FetchedRow | undefined {
  if (text.length > MAX_ROW_TEXT || text[0] !== 0x2a || text[1] !== 0x20) return undefined;
  for (let i = 0; i < text.length; i++) if (text[i] > 0x7e) return undefined;
  const line = text.toString('latin1');
  const open = line.indexOf(' FETCH (');
  const end = line.endsWith(')\r\n') ? line.length - 3 : line.endsWith(')\n') ? line.length - 2 : -1;
  if (open < 3 || end < 0 || !DIGITS.test(line.slice(2, open))) return undefined;
  const row: Partial<FetchedRow> = {};
  let modseq = false;
  let literal = 0;
  let at = open + 8;
  while (at < end) {
    const space = line.indexOf(' ', at);
    if (space < 0 || space >= end) return undefined;
    const name = line.slice(at, space);
    at = space + 1;
    let close: number;
    switch (name) {
      case 'UID':
      case 'RFC822.SIZE': {
        close = line.indexOf(' ', at);
        if (close < 0 || close > end) close = end;
        const n = line.slice(at, close);
        if (!DIGITS.test(n) || (name === 'UID' ? 'uid' : 'size') in row) return undefined;
        if (name === 'UID') row.uid = Number(n);
        else row.size = Number(n);
        at = close;
        break;
      }
      case 'MODSEQ': {
        close = line.indexOf(')', at);
        const n = line.charCodeAt(at) === 0x28 && close > 0 ? line.slice(at + 1, close) : '';
        if (!MODSEQ.test(n) || modseq) return undefined;
        modseq = true;
        at = close + 1;
        break;
      }
      case 'INTERNALDATE': {
        close = line.indexOf('"', at + 1);
        if (line.charCodeAt(at) !== 0x22 || close < 0 || 'internalDate' in row) return undefined;
        const date = line.slice(at + 1, close);
        const ms = date.includes('\\') ? NaN : new Date(date).getTime();
        if (Number.isNaN(ms)) return undefined;
        row.internalDate = ms;
        at = close + 1;
        break;
      }
      case 'FLAGS': {
        close = line.indexOf(')', at);
        if (line.charCodeAt(at) !== 0x28 || close < 0 || 'flags' in row) return undefined;
        const flags = close > at + 1 ? line.slice(at + 1, close).split(' ') : [];
        if (!flags.every((f) => FLAG.test(f))) return undefined;
        row.flags = flags.length > 1 ? [...new Set(flags)] : flags; // a set, as imapflow gives it
        at = close + 1;
        break;
      }
      case 'BODY[]':
      case 'BODY[HEADER.FIELDS': {
        const key = name === 'BODY[]' ? 'source' : 'headers';
        if (key in row) return undefined;
        if (key === 'headers') {
          close = line.indexOf(')] ', at);
          if (line.charCodeAt(at) !== 0x28 || close < 0) return undefined;
          if (
            !line
              .slice(at + 1, close)
              .split(' ')
              .every((h) => HEADER_NAME.test(h))
          )
            return undefined;
          at = close + 3;
        }
        // {<size>}, the end of a line; the literal itself is not in the text.
        close = line.indexOf('}\r\n', at);
        const size = line.charCodeAt(at) === 0x7b && close > 0 ? line.slice(at + 1, close) : '';
        const value = literals[literal++];
        if (!DIGITS.test(size) || !value || value.length !== Number(size)) return undefined;
        row[key] = value;
        at = close + 3;
        break;
      }
      default:
        return undefined;
    }
    if (at < end) {
      if (line.charCodeAt(at) !== 0x20) return undefined;
      at++;
    }
  }
  if (at !== end || literal !== literals.length || !row.uid) return undefined;
  const complete =
    (!items.size || row.size !== undefined) &&
    (!items.flags || row.flags !== undefined) &&
    (!items.internalDate || row.internalDate !== undefined) &&
    !items.headers === !row.headers &&
    !items.source === !row.source;
  return complete ? (row as FetchedRow) : undefined;
}
