// What a server answers, read the way a resolver would, independently of the code under
// test: one UDP query encoded and decoded by dns-packet, answers with their TTLs (Node's
// resolveMx gives none).
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';

export interface Dug {
  rcode: number;
  ttl: number | null;
  values: string[];
}

export async function dig(port: number, name: string, type: 'A' | 'AAAA' | 'MX' | 'CNAME'): Promise<Dug> {
  const id = Math.floor(Math.random() * 65536);
  const socket = createSocket('udp4');
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from 127.0.0.1:${port}`)), 3000);
      socket.on('message', (m) => {
        if (m.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        resolve(m);
      });
      socket.on('error', (e) => (clearTimeout(timer), reject(e)));
      socket.send(packet.encode({ type: 'query', id, questions: [{ name, type }] }), port, '127.0.0.1');
    });
    const decoded = packet.decode(reply);
    type Rr = { name: string; type: string; ttl?: number; data?: unknown };
    const answers = ((decoded.answers ?? []) as Rr[]).filter((a) => a.type === type && a.name.toLowerCase() === name.toLowerCase().replace(/\.$/, ''));
    const values = answers
      .map((a) => {
        if (type !== 'MX') return String(a.data).toLowerCase();
        const mx = a.data as { preference: number; exchange: string };
        return `${mx.preference} ${mx.exchange.toLowerCase()}.`;
      })
      .sort();
    return { rcode: (decoded.flags ?? 0) & 0xf, ttl: answers.length ? (answers[0].ttl ?? null) : null, values };
  } finally {
    socket.close();
  }
}
