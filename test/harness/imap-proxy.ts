// A loopback TCP proxy in front of a real IMAP server that answers one kind of command the
// way a provider under load does: for the first `times` commands named `command` (APPEND,
// UID FETCH, AUTHENTICATE...), the server's tagged answer is replaced by `answer` (e.g.
// `BAD Request is throttled. Suggested Backoff Time: 1500 milliseconds`). Everything else,
// the command itself included, reaches the server and comes back unchanged. Without a
// rule it only relays, and tells what went over the wire: the connections, and the lines
// each side sent (no literal data), to check which commands a sync sends.
//
// Both directions are read line by line with their literals ({N} / {N+}) passed through
// untouched, so message contents are never mistaken for commands or answers.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export interface ImapProxyRule {
  /** Command names to answer for, upper case: `APPEND`, `UID FETCH`, `LOGIN`, `AUTHENTICATE`. */
  commands: string[];
  /** What follows the client's tag in the injected answer: `NO [LIMIT] ...`. */
  answer: string;
  /** How many such commands get the injected answer (over all connections); then none. */
  times: number;
}

export interface ImapProxy {
  port: number;
  /** How many answers were replaced so far. */
  injected(): number;
  /** Connections made through the proxy so far. */
  connections(): number;
  /** The lines the clients sent (commands, continuation data lines), without literal data. */
  clientLines(): string[];
  /** The lines the server sent (responses, "+" continuations), without literal data. */
  serverLines(): string[];
  close(): Promise<void>;
}

/**
 * Splits a stream into lines (each passed to `onLine`, which may replace it) and literals
 * (passed through); once `deflated()` says so (COMPRESS=DEFLATE began), everything passes as is.
 */
function lineStream(onLine: (line: string) => string | undefined, write: (b: Buffer) => void, deflated: () => boolean): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  let literalLeft = 0;
  let continuing = false;
  return (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (deflated()) {
        if (buf.length) write(buf);
        buf = Buffer.alloc(0);
        return;
      }
      if (literalLeft > 0) {
        if (!buf.length) return;
        const n = Math.min(literalLeft, buf.length);
        write(buf.subarray(0, n));
        buf = buf.subarray(n);
        literalLeft -= n;
        continue;
      }
      const end = buf.indexOf('\r\n');
      if (end < 0) return;
      const raw = buf.subarray(0, end + 2);
      buf = buf.subarray(end + 2);
      const text = raw.subarray(0, end).toString('latin1');
      const replaced = continuing ? undefined : onLine(text);
      write(replaced === undefined ? raw : Buffer.from(`${replaced}\r\n`, 'latin1'));
      const literal = /\{(\d+)\+?\}$/.exec(text);
      literalLeft = literal ? Number(literal[1]) : 0;
      continuing = !!literal;
    }
  };
}

/** The command name of a client command line (`7 UID FETCH 1:* ...` → `UID FETCH`), with its tag. */
function commandOf(line: string): { tag: string; name: string } | undefined {
  const m = /^([^\s+*]+) (UID [A-Za-z]+|[A-Za-z]+)\b/.exec(line);
  return m ? { tag: m[1], name: m[2].toUpperCase() } : undefined;
}

export async function startImapProxy(target: { host: string; port: number }, rule: ImapProxyRule = { commands: [], answer: '', times: 0 }): Promise<ImapProxy> {
  const sockets = new Set<Socket>();
  let injected = 0;
  let connections = 0;
  const clientLines: string[] = [];
  const serverLines: string[] = [];
  const server: Server = createServer((client) => {
    connections++;
    const upstream = tcpConnect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    /** Tags of this connection's commands whose answer is to be replaced. */
    const marked = new Set<string>();
    /** COMPRESS: its tag, and whether each direction is deflated from now on. */
    const compress = { tag: '', client: false, server: false };
    client.on(
      'data',
      lineStream(
        (line) => {
          clientLines.push(line);
          const cmd = commandOf(line);
          if (cmd?.name === 'COMPRESS') {
            compress.tag = cmd.tag;
            compress.client = true;
          }
          if (cmd && injected < rule.times && rule.commands.includes(cmd.name)) {
            injected++;
            marked.add(cmd.tag);
          }
          return undefined;
        },
        (b) => upstream.write(b),
        () => compress.client,
      ),
    );
    upstream.on(
      'data',
      lineStream(
        (line) => {
          serverLines.push(line);
          const tag = line.slice(0, line.indexOf(' '));
          if (compress.tag && tag === compress.tag) compress.server = /^\S+ OK/.test(line);
          if (!marked.has(tag)) return undefined;
          marked.delete(tag);
          return `${tag} ${rule.answer}`;
        },
        (b) => client.write(b),
        () => compress.server,
      ),
    );
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    injected: () => injected,
    connections: () => connections,
    clientLines: () => [...clientLines],
    serverLines: () => [...serverLines],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
