// DNS records as the runbook sees them (plain JSON for the audit log), normalised so
// that comparisons are exact, and read straight from a server with a direct query:
// Node's resolver gives no MX TTLs.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import type { DnsRecordSet } from '../../workflows/audit';

export type { DnsRecordSet };

export const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

/** MX values as "<preference> <host>." and addresses as written, sorted. */
export function normalise(rr: DnsRecordSet): DnsRecordSet {
  const values = rr.values
    .map((v) => (rr.type === 'MX' ? v.replace(/^(\d+)\s+(\S+)$/, (_, p: string, h: string) => `${Number(p)} ${fqdn(h)}`) : v.toLowerCase()))
    .sort();
  return { name: fqdn(rr.name), type: rr.type.toUpperCase(), ttl: rr.ttl, values };
}

export const sameValues = (a: DnsRecordSet | null, b: DnsRecordSet | null) =>
  JSON.stringify(a && normalise(a).values) === JSON.stringify(b && normalise(b).values);

export interface DnsServer {
  host: string;
  port: number;
}

export function parseServer(s: string, defaultPort = 53): DnsServer {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s.includes(':') && !s.includes('.') && !s.startsWith('[') ? `[${s}]` : s);
  return { host: m?.[1] ?? s, port: m?.[2] ? Number(m[2]) : defaultPort };
}

/** Asks one server for one RRset (no recursion); null when the name has none. */
export async function queryRecords(server: DnsServer, name: string, type: 'MX' | 'A' | 'AAAA', timeoutMs = 2000): Promise<DnsRecordSet | null> {
  const id = randomInt(1, 65535);
  const query = packet.encode({ type: 'query', id, flags: 0, questions: [{ type, name: fqdn(name).slice(0, -1) }] });
  const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms`)), timeoutMs);
      socket.on('message', (msg) => {
        if (msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        resolve(msg);
      });
      socket.on('error', (err) => (clearTimeout(timer), reject(err)));
      socket.send(query, server.port, server.host);
    });
    const decoded = packet.decode(reply);
    const rcode = (decoded.flags ?? 0) & 0xf; // 0 NOERROR, 3 NXDOMAIN
    if (rcode !== 0 && rcode !== 3) throw new Error(`${server.host}:${server.port} answered rcode ${rcode} for ${name} ${type}`);
    type Rr = { type: string; name: string; ttl?: number; data: unknown };
    const answers = ((decoded.answers ?? []) as Rr[]).filter((a) => a.type === type && fqdn(a.name) === fqdn(name));
    if (!answers.length) return null;
    const values = answers.map((a) => {
      const mx = a.data as { preference: number; exchange: string };
      return a.type === 'MX' ? `${mx.preference} ${mx.exchange}` : String(a.data);
    });
    return normalise({ name, type, ttl: Math.min(...answers.map((a) => a.ttl ?? 0)), values });
  } finally {
    socket.close();
  }
}
