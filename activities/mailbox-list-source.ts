// The bytes of a mailbox list (spec field `mailboxList.from`): a local file, or an https
// URL fetched with Node's fetch. Both are refused past the same size, the URL while it is
// read. Problems name the field, never the Authorization header's value.
import { readFileSync, statSync } from 'node:fs';
import { isFetchableUrl } from '../workflows/spec-mailboxes';
import { resolveSecret } from './credentials';

export type ListFormat = 'csv' | 'jsonl';

export interface ListSource {
  bytes: Buffer;
  /** The format its name (or, for a URL, its Content-Type) says, if either says one. */
  format?: ListFormat;
  /** Why no format was found, for the problem that asks for one. */
  noFormat: string;
}

export interface ListLimits {
  /** A list past this size would not fit a migration anyway. */
  maxBytes?: number;
  /** Under validateSpec's one-minute local activity: a slow server is named, not timed out. */
  timeoutMs?: number;
}

export const MAX_LIST_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 50_000;

const formatOfName = (name: string): ListFormat | undefined => (/\.(jsonl|ndjson)$/i.test(name) ? 'jsonl' : /\.csv$/i.test(name) ? 'csv' : undefined);
const formatOfType = (type: string): ListFormat | undefined =>
  /^text\/csv\b/i.test(type) ? 'csv' : /^application\/(x-)?(jsonl|ndjson)\b/i.test(type) ? 'jsonl' : undefined;
const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
const tooLarge = (max: number) => `a mailbox list may be at most ${mib(max)}`;

/** The list's bytes, or the problem (`mailboxList.…: why`) that kept them from being read. */
export async function readListSource(ref: { from: string; authorization?: string }, limits: ListLimits = {}): Promise<ListSource | string> {
  const max = limits.maxBytes ?? MAX_LIST_BYTES;
  if (!ref.from.startsWith('file:')) return fetchList(ref.from, ref.authorization, max, limits.timeoutMs ?? TIMEOUT_MS);
  const file = ref.from.slice('file:'.length);
  try {
    const size = statSync(file).size;
    if (size > max) return `mailboxList.from: ${file} is ${Math.ceil(size / 1e6)} MB; ${tooLarge(max)}`;
    return { bytes: readFileSync(file), format: formatOfName(file), noFormat: 'the file name ends in neither .csv nor .jsonl' };
  } catch (err) {
    return `mailboxList.from: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}

async function fetchList(url: string, authorizationRef: string | undefined, max: number, timeoutMs: number): Promise<ListSource | string> {
  let authorization: string | undefined;
  if (authorizationRef) {
    try {
      authorization = await resolveSecret(authorizationRef);
    } catch (err) {
      return `mailboxList.authorization: ${(err as Error).message}`;
    }
    // fetch would refuse it quoting the value.
    if (/[\r\n\0]/.test(authorization)) return 'mailboxList.authorization: the secret it names is not a header value (it holds a line break)';
  }
  // A cause's text comes from the network stack: it is not expected to quote a header, and never will.
  const hide = (text: string) => (authorization ? text.replaceAll(authorization, '…') : text);
  const problem = (why: string) => `mailboxList.from: ${hide(why)}`;
  try {
    const res = await fetch(url, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(timeoutMs) });
    const refused = !isFetchableUrl(res.url)
      ? 'was redirected to a plain http:// URL'
      : !res.ok
        ? `the server answered HTTP ${res.status}${res.statusText && ` ${res.statusText}`}`
        : Number(res.headers.get('content-length')) > max
          ? `the server announces ${Math.ceil(Number(res.headers.get('content-length')) / 1e6)} MB; ${tooLarge(max)}`
          : undefined;
    if (refused || !res.body) {
      await res.body?.cancel();
      return problem(refused ?? 'the server answered without a body');
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.byteLength;
      // Stop at the cap, before the rest is sent: a list past it is refused however long it is.
      if (size > max) {
        await reader.cancel();
        return problem(`stopped reading past ${mib(max)}: ${tooLarge(max)}`);
      }
      chunks.push(r.value);
    }
    // The path as the spec names it (a redirect's target may be a storage key).
    const type = res.headers.get('content-type') ?? '';
    return {
      bytes: Buffer.concat(chunks),
      format: formatOfName(new URL(url).pathname) ?? formatOfType(type),
      noFormat: `the URL path ends in neither .csv nor .jsonl and its Content-Type (${type.slice(0, 60) || 'none'}) is neither text/csv nor application/jsonl`,
    };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return problem(`no complete answer within ${timeoutMs / 1000} s`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.message ?? (err as Error).message;
    return problem(`cannot fetch it: ${cause?.code && !why.includes(cause.code) ? `${why} (${cause.code})` : why}`);
  }
}
