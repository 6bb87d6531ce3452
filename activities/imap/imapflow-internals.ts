// The parts of imapflow that are not its public API, in one place. imapflow 2.10 has no
// MULTIAPPEND (multiappend.ts) and reads every server response through a general pipeline
// that costs more CPU than our copies can spare (fetch-stream.ts); both need these.
// test/imap/multiappend.test.ts and test/imap/fetch-stream*.test.ts use each of them
// against a real server or imapflow's own stream, so an imapflow upgrade that changes one
// fails loudly; at run time, a missing one makes its user fall back to imapflow's own
// reading (fetch-stream.ts) or public API (multiappend.ts).
import type { ImapFlow } from 'imapflow';

// Required by its public subpath (package.json "exports": ./lib/*.js); typed from the file
// it maps to, which TypeScript's node10 resolution cannot follow through "exports".
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tools = require('imapflow/lib/tools.js') as typeof import('imapflow/dist/cjs/tools');
export const { encodePath, enhanceCommandError } = tools;

export type Attribute = { type?: string; value?: unknown; isLiteral8?: boolean; section?: Attribute[] } | Attribute[];
export interface Command {
  tag?: string;
  command?: string;
  attributes?: Attribute[];
  options?: { literalPlus?: boolean };
}
export type Compiler = (command: Command, options?: { asArray?: boolean; isLogging?: boolean; literalPlus?: boolean }) => unknown;
/** The command compiler imapflow's send() calls through this module's export at each use. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const handler = require('imapflow/lib/handler/imap-handler.js') as { compiler: Compiler & { literalPlus?: true } };

/** An untagged response as imapflow's parser gives it. */
export type Untagged = { command?: string; attributes?: unknown[] };

/** imapflow's message object for a parsed FETCH row (what its fetch() yields). */
export function formatFetchResponse(
  client: ImapFlow,
  untagged: Untagged,
): Promise<{ uid?: number; size?: number; internalDate?: Date | string; flags?: Set<string>; headers?: Buffer; source?: Buffer }> {
  const c = client as unknown as { mailbox: unknown; idHashAlgorithm?: string };
  return (tools.formatMessageResponse as (u: Untagged, m: unknown, a?: string, c?: unknown) => Promise<never>)(untagged, c.mailbox, c.idHashAlgorithm, client);
}

export interface ExecResponse {
  response?: { attributes?: { section?: { value?: unknown }[] }[] };
  next(): void;
}
export interface ExecOptions {
  /** Handlers of untagged responses by name, while the command runs (awaited). */
  untagged?: Record<string, (untagged: Untagged) => Promise<void>>;
  /** Called once the command line is written. */
  onSend?: () => void;
  literalPlus?: boolean;
}
export type Exec = (command: string, attributes: unknown[], options?: ExecOptions) => Promise<ExecResponse>;

/** Sends one command built from attribute nodes; resolves on its tagged OK (call `next()`), rejects on NO/BAD. */
export function execOf(client: ImapFlow): Exec | undefined {
  const exec = (client as unknown as { exec?: unknown }).exec;
  return typeof exec === 'function' ? (exec.bind(client) as Exec) : undefined;
}

export interface SendInternals {
  /** The frames of the command being sent that wait for "+" continuations. */
  commandParts?: unknown[];
  write?: (chunk: unknown) => unknown;
  writeSocket?: { cork(): void; uncork(): void };
}

export const sendInternals = (client: ImapFlow) => client as unknown as SendInternals;

/**
 * The Transform that turns the connection's bytes (after TLS and COMPRESS) into responses.
 * Between chunks it holds nothing of a response when its line, literal and response
 * buffers are empty.
 */
export interface ResponseStream {
  _transform(chunk: Buffer, encoding: BufferEncoding | undefined, next: (err?: Error | null) => void): void;
  readBytesCounter: number;
  destroyed: boolean;
  lineBuffer: unknown[];
  inputBuffer: unknown[];
  literalBuffer: unknown[];
  literalWaiting: number;
}

export function responseStreamOf(client: ImapFlow): ResponseStream | undefined {
  const s = (client as unknown as { streamer?: Partial<ResponseStream> }).streamer;
  const usable =
    !!s &&
    typeof s._transform === 'function' &&
    typeof s.readBytesCounter === 'number' &&
    Array.isArray(s.lineBuffer) &&
    Array.isArray(s.inputBuffer) &&
    Array.isArray(s.literalBuffer) &&
    typeof s.literalWaiting === 'number';
  return usable ? (s as ResponseStream) : undefined;
}

/** Nothing of a response is half-read in imapflow's stream: the next byte starts one. */
export function atResponseBoundary(s: ResponseStream): boolean {
  return !s.lineBuffer.length && !s.inputBuffer.length && !s.literalBuffer.length && !s.literalWaiting;
}

/**
 * While set, imapflow's socket timeout takes the connection's quiet for this side's doing
 * (a row still with its consumer), as when its own reader is parked on a response.
 */
export function markProcessing(client: ImapFlow, on: boolean): void {
  const c = client as unknown as { _processingResponse?: boolean };
  if (typeof c._processingResponse === 'boolean') c._processingResponse = on;
}
