// A direct DNS query for one RRset, with its TTL (Node's resolver gives no MX TTLs):
// encoded and decoded by dns-packet, over UDP, and again over TCP when the reply is
// truncated.
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { compareValues, normaliseName, type RecordType, type RRset } from './records';
import { tcpExchange, TransportError, udpExchange, type Endpoint } from './transport';
import { rcodeName, readHeader, valueFromPacket } from './wire';

export interface QueryOptions {
  timeoutMs?: number;
  /** UDP attempts before giving up (each waits `timeoutMs`). */
  tries?: number;
  /** Ask a resolver to recurse (RD); authoritative servers are asked without. */
  recursive?: boolean;
}

export interface QueryAnswer {
  rcode: string;
  /** The AA flag: the server answered from its own zone. */
  authoritative: boolean;
  /** The RRset of exactly that name and type (a CNAME chain's other records are left out). */
  rrset: RRset | null;
}

export async function queryRRset(server: Endpoint, name: string, type: RecordType, options: QueryOptions = {}): Promise<QueryAnswer> {
  const owner = normaliseName(name);
  const timeoutMs = options.timeoutMs ?? 2000;
  const id = randomInt(0, 65536);
  const query = packet.encode({
    type: 'query',
    id,
    flags: options.recursive ? packet.RECURSION_DESIRED : 0,
    questions: [{ name: owner === '.' ? '.' : owner.slice(0, -1), type }],
  });
  let reply: Buffer | undefined;
  let lastError: TransportError | undefined;
  for (let attempt = 0; attempt < (options.tries ?? 2) && !reply; attempt++) {
    try {
      reply = await udpExchange(server, query, timeoutMs);
    } catch (err) {
      if (!(err instanceof TransportError) || err.code !== 'ETIMEDOUT') throw err;
      lastError = err;
    }
  }
  if (!reply) throw lastError!;
  if (readHeader(reply).truncated) reply = await tcpExchange(server, query, timeoutMs);

  const header = readHeader(reply);
  const decoded = packet.decode(reply);
  const question = decoded.questions?.[0];
  if (!header.response || !question || normaliseName(question.name) !== owner || question.type !== type) {
    throw new TransportError(`the reply does not answer ${owner} ${type}`, 'EBADREPLY');
  }
  type Decoded = { name: string; type: string; ttl?: number; data?: unknown };
  const records = ((decoded.answers ?? []) as Decoded[]).filter((a) => a.type === type && normaliseName(a.name) === owner);
  const rrset: RRset | null = records.length
    ? {
        name: owner,
        type,
        ttl: Math.min(...records.map((r) => r.ttl ?? 0)),
        values: [...new Set(records.map((r) => valueFromPacket(type, r.data)))].sort(compareValues),
      }
    : null;
  return { rcode: rcodeName(header.rcode), authoritative: header.authoritative, rrset };
}
