// APPEND, batched. The destination commits (and fsyncs) each APPEND command on its own, so
// sending 50 messages in one RFC 3502 MULTIAPPEND command is the biggest speed lever
// (10,000 messages: ~39 s one by one, ~12 s batched, on the same machine).
//
// imapflow 2.10 has no public MULTIAPPEND: this file sends it through imapflow's internals
// (imapflow-internals.ts): `exec()` (sends a command built from attribute nodes; its
// compiler handles several literals in one command, waiting for each "+" continuation),
// `encodePath`/`enhanceCommandError`, and the command compiler. imapflow sends a literal
// without waiting for "+" only up to 4 KiB (LITERAL-); with the server's LITERAL+ (RFC 7888)
// any size may go at once, and waiting would cost a round trip per message over 4 KiB (most
// mail), so our APPENDs ask the compiler for that. imapflow would also copy every message
// into one buffer for the command (a 2 MB batch, per connection); ours leaves each message's
// bytes a frame of their own, which imapflow's send() keeps for "+" continuations, and writes
// them all at once once the command line is out (`onSend`; with LITERAL+ no "+" comes).
// test/imap/multiappend.test.ts checks all of these. If `exec` is ever missing at run time,
// we fall back to one public `append()` per message.
import type { ImapFlow } from 'imapflow';
import {
  encodePath,
  enhanceCommandError,
  execOf,
  handler,
  sendInternals,
  type Attribute,
  type Command,
  type Compiler,
  type Exec,
  type ExecResponse,
} from './imapflow-internals';

// imapflow's send() compiles each command through this export; commands sent with the
// option `literalPlus` get non-synchronizing literals of any size, each literal a frame of
// its own. Wrapped once per process.
if (typeof handler.compiler === 'function' && !handler.compiler.literalPlus) {
  const compile = handler.compiler;
  handler.compiler = Object.assign<Compiler, { literalPlus: true }>(
    (command, options) =>
      command?.options?.literalPlus && options?.asArray && !options.isLogging
        ? literalPlusFrames(compile, command)
        : compile(command, command?.options?.literalPlus ? { ...options, literalPlus: true } : options),
    { literalPlus: true },
  );
}

const isBufferLiteral = (a: Attribute): a is { type: 'LITERAL'; value: Buffer; isLiteral8?: boolean } =>
  !Array.isArray(a) && a.type === 'LITERAL' && Buffer.isBuffer(a.value);

const PLAIN_FLAG = /^\\?[A-Za-z0-9$_.-]+$/;
const PLAIN_DATE = /^[ 0-9][0-9]-[A-Z][a-z]{2}-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$/;

/**
 * A message's flag list and date, `(\Seen $Label1) "05-Mar-2015 09:07:03 +0000"`, as
 * imapflow's compiler writes them, when they need no quoting or checking (nearly always):
 * compiling them was a third of an APPEND's CPU. Undefined for anything else.
 */
export function plainMessageText(attributes: Attribute[]): Buffer | undefined {
  const [flags, date] = attributes;
  if (attributes.length !== 2 || !Array.isArray(flags) || Array.isArray(date) || date.type !== 'STRING') return undefined;
  if (typeof date.value !== 'string' || !PLAIN_DATE.test(date.value)) return undefined;
  const names: string[] = [];
  for (const f of flags) {
    if (Array.isArray(f) || f.type !== 'ATOM' || typeof f.value !== 'string' || !PLAIN_FLAG.test(f.value)) return undefined;
    names.push(f.value);
  }
  return Buffer.from(`(${names.join(' ')}) "${date.value}"`, 'latin1');
}

/**
 * The command in frames for LITERAL+: the text up to each literal (compiled by imapflow, so
 * quoted and checked as ever, unless plain) ending in its `{N+}` marker, then the literal's own bytes.
 */
function literalPlusFrames(compile: Compiler, command: Command): Buffer[] {
  const frames: Buffer[] = [];
  let text: Attribute[] = [];
  const compiled = (attributes: Attribute[]) => compile(frames.length ? { attributes } : { tag: command.tag, command: command.command, attributes }) as Buffer;
  for (const attribute of command.attributes ?? []) {
    if (!isBufferLiteral(attribute)) {
      text.push(attribute);
      continue;
    }
    const before = (frames.length ? plainMessageText(text) : undefined) ?? compiled(text);
    const marker = `${attribute.isLiteral8 ? '~' : ''}{${attribute.value.length}+}\r\n`;
    frames.push(Buffer.concat([Buffer.from(frames.length ? ' ' : ''), before, Buffer.from(before.length ? ` ${marker}` : marker)]));
    frames.push(attribute.value);
    text = [];
  }
  if (text.length || !frames.length) frames.push(Buffer.concat([Buffer.from(frames.length ? ' ' : ''), compiled(text)]));
  return frames;
}

/**
 * Writes the frames send() kept for "+" continuations (write() ends the last with CRLF),
 * corked: one writev for the batch, not a small TCP segment per message header.
 */
function writeRemainingFrames(client: ImapFlow): void {
  const c = sendInternals(client);
  c.writeSocket!.cork();
  try {
    while (c.commandParts?.length) c.write!(c.commandParts.shift());
  } finally {
    c.writeSocket!.uncork();
  }
}

export interface OutgoingMessage {
  /** The message exactly as host1 stored it. */
  content: Buffer;
  flags: string[];
  /** Epoch ms; becomes the copy's internal date. */
  internalDate: number;
}

export interface AppendOutcome {
  /** UIDs host2 gave the copies (UIDPLUS), in order; empty when the server does not say. */
  uids: number[];
  /** APPEND commands sent. */
  commands: number;
}

/** Whether the imapflow internals this file relies on are there (the canary test asserts it). */
export function multiappendInternalsAvailable(client: ImapFlow): boolean {
  const c = sendInternals(client);
  return (
    !!execOf(client) &&
    typeof encodePath === 'function' &&
    typeof enhanceCommandError === 'function' &&
    !!handler.compiler.literalPlus &&
    Array.isArray(c.commandParts) &&
    typeof c.write === 'function' &&
    typeof c.writeSocket?.cork === 'function'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP date-time ("05-Mar-2015 09:07:03 +0000"), in UTC: the instant is what servers keep. */
export function imapDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** "5:7,9" → [5, 6, 7, 9]. */
export function expandUidSet(set: string): number[] {
  const uids: number[] = [];
  for (const part of set.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (!Number.isInteger(a)) continue;
    const end = Number.isInteger(b) ? b : a;
    for (let u = Math.min(a, end); u <= Math.max(a, end); u++) uids.push(u);
  }
  return uids;
}

/**
 * Appends the messages to `path`, in one MULTIAPPEND command when allowed and possible,
 * else one APPEND each. A refused MULTIAPPEND stores none of its messages (RFC 3502).
 * Errors are imapflow's (with `responseText` and `serverResponseCode`).
 */
export async function appendMessages(client: ImapFlow, path: string, messages: OutgoingMessage[], options: { multiappend: boolean }): Promise<AppendOutcome> {
  const exec = execOf(client);
  if (options.multiappend && messages.length > 1 && exec && client.capabilities.has('MULTIAPPEND')) {
    return multiappend(client, exec, path, messages);
  }
  const outcome: AppendOutcome = { uids: [], commands: 0 };
  for (const m of messages) {
    const res = await client.append(path, m.content, m.flags, new Date(m.internalDate));
    outcome.commands++;
    if (res === false) throw Object.assign(new Error('APPEND not possible in this connection state'), { code: 'NoConnection' });
    if (res.uid) outcome.uids.push(res.uid);
  }
  return outcome;
}

async function multiappend(client: ImapFlow, exec: Exec, path: string, messages: OutgoingMessage[]): Promise<AppendOutcome> {
  // Mirrors imapflow's own append(): mailbox as an atom (quoted when needed), then per
  // message a flag list, the date as a string, the bytes as a literal (literal8 when
  // they hold NUL and the server speaks BINARY).
  const binary = client.capabilities.has('BINARY') && !client.options.disableBinary;
  const attributes: unknown[] = [{ type: 'ATOM', value: encodePath(client, path) }];
  for (const m of messages) {
    attributes.push(m.flags.map((f) => ({ type: 'ATOM', value: f })));
    attributes.push({ type: 'STRING', value: imapDateTime(m.internalDate) });
    attributes.push({ type: 'LITERAL', value: m.content, isLiteral8: binary && m.content.includes(0) });
  }
  let response: ExecResponse;
  try {
    const literalPlus = client.capabilities.has('LITERAL+');
    response = await exec('APPEND', attributes, { literalPlus, ...(literalPlus && { onSend: () => writeRemainingFrames(client) }) });
  } catch (err) {
    // Fills in serverResponseCode ([OVERQUOTA], [TRYCREATE]...) as imapflow's append() does.
    if (err && typeof err === 'object' && 'response' in err) await enhanceCommandError(err as Parameters<typeof enhanceCommandError>[0]);
    throw err;
  }
  // Tagged OK [APPENDUID <uidvalidity> <uid-set>] (UIDPLUS).
  const section = response.response?.attributes?.[0]?.section;
  const code = typeof section?.[0]?.value === 'string' ? (section[0].value as string).toUpperCase() : '';
  const uids = code === 'APPENDUID' ? expandUidSet(String(section?.[2]?.value ?? '')) : [];
  response.next();
  return { uids, commands: 1 };
}
