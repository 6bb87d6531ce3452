// Sending one DNS message and getting its reply, over UDP or TCP (RFC 1035 §4.2, RFC 7766:
// TCP messages carry a two-byte length). Failures are TransportErrors: the server could
// not be reached or did not answer in time, which a later attempt may fix.
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connect } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** `127.0.0.1:5300`, `[::1]:53`. */
export function formatEndpoint(e: Endpoint): string {
  return isIP(e.host) === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** `host`, `host:port`, `v4:port`, `[v6]:port` or a bare IPv6 address. */
export function parseEndpoint(text: string, defaultPort = 53): Endpoint {
  const s = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  if (isIP(s) === 6) return { host: s, port: defaultPort };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`"${text}" is not host[:port]`);
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (port < 1 || port > 65535) throw new Error(`"${text}": port out of range`);
  return { host: m[1], port };
}

async function address(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host);
  if (family) return { address: host, family: family as 4 | 6 };
  try {
    const found = await lookup(host);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ENOTFOUND';
    throw new TransportError(`cannot resolve ${host} (${code})`, code);
  }
}

function failure(err: unknown, where: string): TransportError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  return new TransportError(`${where}: ${code === 'ECONNREFUSED' ? 'connection refused' : code}`, code);
}

/** One UDP exchange: the reply whose ID matches the request's, or a TransportError. */
export async function udpExchange(to: Endpoint, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const { address: ip, family } = await address(to.host);
  const where = formatEndpoint(to);
  const id = message.readUInt16BE(0);
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TransportError(`${where}: no answer within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
      socket.on('error', (err) => (clearTimeout(timer), reject(failure(err, where))));
      socket.on('message', (msg) => {
        // A late reply to an earlier attempt (or noise) is not ours.
        if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        resolve(msg);
      });
      // Connected, so that an ICMP "port unreachable" surfaces as ECONNREFUSED at once.
      socket.connect(to.port, ip, () => socket.send(message));
    });
  } finally {
    socket.close();
  }
}

/** One TCP exchange (length-prefixed). */
export async function tcpExchange(to: Endpoint, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const { address: ip } = await address(to.host);
  const where = formatEndpoint(to);
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: ip, port: to.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const done = (err: Error | null, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new TransportError(`${where}: no answer within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const all = Buffer.concat(chunks, received);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) done(null, all.subarray(2, 2 + all.readUInt16BE(0)));
    });
    socket.on('error', (err) => done(failure(err, where)));
    socket.on('close', () => done(new TransportError(`${where}: connection closed before the reply`, 'ECONNRESET')));
  });
}
