// Stores messages on host2, batched. Two things make a copy fast (see scripts/bench):
//  - RFC 3502 MULTIAPPEND: the destination commits (and fsyncs) each APPEND command on its
//    own, so one command per batch of messages instead of one per message (10,000
//    messages: ~39 s one by one, ~12 s batched, on the same machine);
//  - RFC 7888 LITERAL+: imapflow sends every literal over 4 KiB as a synchronising one and
//    waits for the server's "+" before each message, a round trip in which the server sits
//    idle. Non-synchronising literals let a whole batch go out at once.
// imapflow has neither, so an Appender is its own connection: imapflow connects and logs in
// (every TLS and auth mode), then hands over the socket with its public unbind(), and the
// Appender speaks the one command it needs. Servers without LITERAL+ get synchronising
// literals ("+" before each), servers without MULTIAPPEND one APPEND per message.
// Errors look like imapflow's (responseStatus, serverResponseCode, responseText, code),
// so errors.ts reads both the same way.
import type { ImapFlow } from 'imapflow';

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

export interface Appender {
  /** The server takes several messages in one APPEND (RFC 3502). */
  readonly multiappend: boolean;
  /**
   * Appends the messages to folder `path` (Unicode, as imapflow names it), in one MULTIAPPEND
   * command when allowed and possible, else one APPEND each. A refused MULTIAPPEND stores
   * none of its messages (RFC 3502).
   */
  append(path: string, messages: OutgoingMessage[], options: { multiappend: boolean }): Promise<AppendOutcome>;
  close(): Promise<void>;
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

/** RFC 3501 modified UTF-7 ("Été" → "&AMk-t&AOk-"), for servers that do not take UTF-8 names. */
export function modifiedUtf7(name: string): string {
  return name.replace(/&|[^\x20-\x7e]+/g, (run) => {
    if (run === '&') return '&-';
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    return `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
  });
}

const quoted = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;

/** An error shaped like imapflow's, from a tagged NO/BAD ("NO [OVERQUOTA] Quota exceeded"). */
function commandError(status: string, rest: string): Error {
  const code = /^\[([^\s\]]+)[^\]]*\]\s*/.exec(rest);
  const text = code ? rest.slice(code[0].length) : rest;
  return Object.assign(new Error(`Command failed: ${status} ${rest}`), {
    responseStatus: status,
    serverResponseCode: code?.[1].toUpperCase(),
    responseText: text,
  });
}

const connectionError = (code: string, message: string) => Object.assign(new Error(message), { code });

interface InFlight {
  tag: string;
  onContinue?: () => void;
  settle: (err: Error | undefined, text: string) => void;
}

/**
 * Takes over a logged-in imapflow client's connection (the client is unusable afterwards:
 * give it one of its own). Call it while no command runs on the client.
 */
export function takeOver(client: ImapFlow): Appender {
  const caps = client.capabilities;
  const utf8Names = client.enabled.has('UTF8=ACCEPT') || client.enabled.has('IMAP4REV2');
  const literalPlus = caps.has('LITERAL+');
  const literalMinus = literalPlus || caps.has('LITERAL-');
  const binary = caps.has('BINARY') && !client.options.disableBinary;
  const multiappend = caps.has('MULTIAPPEND');
  const { readSocket, writeSocket, socket } = client.unbind();

  let tags = 0;
  let inFlight: InFlight | undefined;
  let closed: Error | undefined;
  // What the server sent, not yet read: lines, and literals inside them (skipped).
  let pending: Buffer = Buffer.alloc(0);
  let literalLeft = 0;
  let line = '';

  const fail = (err: Error) => {
    closed ??= err;
    const f = inFlight;
    inFlight = undefined;
    f?.settle(closed, '');
  };
  const onLine = (text: string) => {
    const f = inFlight;
    if (text.startsWith('* BYE')) return fail(connectionError('EConnectionClosed', `Server closed the connection: ${text.slice(6)}`));
    if (!f) return;
    if (text.startsWith('+')) return f.onContinue?.();
    if (!text.startsWith(`${f.tag} `)) return; // untagged data (EXISTS, RECENT…): not ours to use
    inFlight = undefined;
    const [, status, rest] = /^\S+ (\S+) ?(.*)$/.exec(text) ?? [];
    f.settle(status?.toUpperCase() === 'OK' ? undefined : commandError(status?.toUpperCase() ?? 'BAD', rest ?? ''), rest ?? '');
  };
  readSocket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (literalLeft) {
        const skip = Math.min(literalLeft, pending.length);
        literalLeft -= skip;
        pending = pending.subarray(skip);
        if (literalLeft) return;
      }
      const end = pending.indexOf('\r\n');
      if (end < 0) return;
      line += pending.toString('latin1', 0, end);
      pending = pending.subarray(end + 2);
      const literal = /\{(\d+)\}$/.exec(line);
      if (literal) {
        literalLeft = Number(literal[1]);
        continue;
      }
      const text = line;
      line = '';
      onLine(text);
    }
  });
  // unpipe() left the socket paused, and a 'data' listener alone does not restart a paused stream.
  readSocket.resume();
  readSocket.on('error', (err: Error) => fail(err));
  readSocket.on('close', () => fail(connectionError('EConnectionClosed', 'Connection closed')));
  socket.on('timeout', () => {
    fail(connectionError('ETIMEDOUT', 'Socket timed out'));
    socket.destroy();
  });

  /**
   * Sends `head`, then each literal with the text after it. A literal waits for the server's
   * "+" unless it may be non-synchronising. Resolves with the tagged OK's text.
   */
  const run = (head: string, literals: { data: Buffer; literal8: boolean; after: string }[]): Promise<string> => {
    if (closed) return Promise.reject(closed);
    const tag = `M${(++tags).toString(36)}`;
    return new Promise((resolve, reject) => {
      let i = 0;
      let waiting = false;
      const send = () => {
        waiting = false;
        while (i < literals.length) {
          const l = literals[i];
          if (waiting) return;
          writeSocket.write(l.data);
          writeSocket.write(l.after);
          i++;
          if (i < literals.length) waiting = !header(literals[i]);
        }
      };
      const header = (l: (typeof literals)[number]) => {
        const plus = literalPlus || (literalMinus && l.data.length <= 4096);
        writeSocket.write(`${l.literal8 ? '~' : ''}{${l.data.length}${plus ? '+' : ''}}\r\n`);
        return plus;
      };
      inFlight = { tag, onContinue: () => waiting && send(), settle: (err, text) => (err ? reject(err) : resolve(text)) };
      writeSocket.write(`${tag} ${head}`);
      if (!literals.length) return void writeSocket.write('\r\n');
      if (header(literals[0])) send();
      else waiting = true;
    });
  };

  const appendCommand = async (path: string, batch: OutgoingMessage[]): Promise<number[]> => {
    const name = quoted(utf8Names ? path : modifiedUtf7(path));
    const literals = batch.map((m, k) => ({
      data: m.content,
      literal8: binary && m.content.includes(0),
      after: k + 1 < batch.length ? ` ${entry(batch[k + 1])}` : '\r\n',
    }));
    const text = await run(`APPEND ${name} ${entry(batch[0])}`, literals);
    // OK [APPENDUID <uidvalidity> <uid-set>] (UIDPLUS).
    const uidSet = /^\[APPENDUID \d+ ([\d:,]+)\]/i.exec(text);
    return uidSet ? expandUidSet(uidSet[1]) : [];
  };

  return {
    multiappend,
    async append(path, messages, options) {
      if (!messages.length) return { uids: [], commands: 0 };
      if (options.multiappend && multiappend && messages.length > 1) return { uids: await appendCommand(path, messages), commands: 1 };
      const outcome: AppendOutcome = { uids: [], commands: 0 };
      for (const m of messages) {
        outcome.uids.push(...(await appendCommand(path, [m])));
        outcome.commands++;
      }
      return outcome;
    },
    async close() {
      // LOGOUT is a courtesy: the socket goes either way, after at most 2 s.
      let timer: NodeJS.Timeout | undefined;
      const gone = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
      await Promise.race([run('LOGOUT', []).catch(() => undefined), gone]);
      clearTimeout(timer);
      closed ??= connectionError('NoConnection', 'Connection closed by the client');
      socket.destroy();
    },
  };
}

/** Flags and date of one message, then the place of its literal: `(\Seen) "05-Mar-2015 …" `. */
function entry(m: OutgoingMessage): string {
  return `(${m.flags.join(' ')}) "${imapDateTime(m.internalDate)}" `;
}
