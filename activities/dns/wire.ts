// DNS messages on the wire. dns-packet encodes and decodes ordinary queries and records,
// but not all of an RFC 2136 UPDATE: opcode UPDATE only goes in through raw header flags,
// class NONE (254) is missing from its class table, and a record with empty RDATA
// ("delete this RRset", "this RRset must not exist") cannot be expressed with a typed
// record; its TypeScript types reject all three. So the workarounds live here, and only
// here: names and RDATA are produced by dns-packet's public encode, and the few raw
// records are assembled around them byte by byte.
import * as packet from 'dns-packet';
import type { RecordType } from './records';
import { normaliseValue } from './records';

export const OPCODE_UPDATE = 5;
export const CLASS_IN = 1;
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;
export const TYPE_TSIG = 250;

export const TYPE_CODES: Record<RecordType | 'SOA', number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, AAAA: 28 };

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? `RCODE${rcode}`;
}

const HEADER = 12;

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A name in uncompressed wire form (dns-packet never compresses), from a one-question message. */
export function nameWire(name: string): Buffer {
  const msg = packet.encode({ questions: [{ name: name === '.' ? '.' : name.replace(/\.$/, ''), type: 'A' }] });
  return Buffer.from(msg.subarray(HEADER, msg.length - 4));
}

/** dns-packet's data object for one presentation value. */
function packetData(type: RecordType, value: string): unknown {
  if (type === 'MX') {
    const [preference, exchange] = value.split(' ');
    return { preference: Number(preference), exchange: exchange.replace(/\.$/, '') };
  }
  return type === 'A' || type === 'AAAA' ? value : value.replace(/\.$/, '');
}

/** The RDATA of one value, encoded by dns-packet as the only answer of a message whose owner is the root. */
export function rdataWire(type: RecordType, value: string): Buffer {
  const answer = { name: '.', type, class: 'IN', ttl: 0, data: packetData(type, value) } as packet.Answer;
  const msg = packet.encode({ answers: [answer] });
  // header, root name (1 byte), type, class, TTL, RDLENGTH (10 bytes), then RDATA.
  return Buffer.from(msg.subarray(HEADER + 1 + 10));
}

/** A presentation value from what dns-packet decoded, normalised. */
export function valueFromPacket(type: RecordType, data: unknown): string {
  if (type === 'MX') {
    const mx = data as { preference?: number; exchange: string };
    return normaliseValue(type, `${mx.preference ?? 0} ${mx.exchange || '.'}`);
  }
  return normaliseValue(type, String(data) || '.');
}

/** One resource record assembled by hand, for what dns-packet cannot express. */
export function rawRecord(name: string, type: number, klass: number, ttl: number, rdata: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([nameWire(name), u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata]);
}

/**
 * An UPDATE message (RFC 2136 §2): the zone section is a question (encoded by dns-packet,
 * with the opcode in its raw flags), then the prerequisite and update sections, whose
 * counts sit where a query's answer and authority counts would.
 */
export function updateMessage(id: number, zone: string, prerequisites: Buffer[], updates: Buffer[]): Buffer {
  const head = packet.encode({
    type: 'query',
    id,
    flags: OPCODE_UPDATE << 11,
    questions: [{ name: zone.replace(/\.$/, ''), type: 'SOA', class: 'IN' }],
  });
  head.writeUInt16BE(prerequisites.length, 6);
  head.writeUInt16BE(updates.length, 8);
  return Buffer.concat([head, ...prerequisites, ...updates]);
}

export interface Header {
  id: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  rcode: number;
  /** Question, answer (prerequisite), authority (update), additional counts. */
  counts: [number, number, number, number];
}

export function readHeader(msg: Buffer): Header {
  if (msg.length < HEADER) throw new MalformedMessage('shorter than a DNS header');
  const flags = msg.readUInt16BE(2);
  return {
    id: msg.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    counts: [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)],
  };
}

export class MalformedMessage extends Error {}

/** Reads a (possibly compressed) name at `offset`: the name and where the bytes after it start. */
export function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  let end = -1;
  for (let jumps = 0; ;) {
    if (at >= msg.length) throw new MalformedMessage('name runs past the end');
    const len = msg[at];
    if (len === 0) {
      if (end < 0) end = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= msg.length || ++jumps > 64) throw new MalformedMessage('bad compression pointer');
      if (end < 0) end = at + 2;
      at = msg.readUInt16BE(at) & 0x3fff;
      continue;
    }
    if (len & 0xc0 || at + 1 + len > msg.length) throw new MalformedMessage('bad label');
    labels.push(msg.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return { name: labels.length ? `${labels.join('.')}.` : '.', end };
}

export interface RecordPosition {
  /** 0 answer/prerequisite, 1 authority/update, 2 additional. */
  section: number;
  start: number;
  type: number;
  rdataStart: number;
  end: number;
}

/** Where every record of a message starts and ends (to find and strip a TSIG record). */
export function recordPositions(msg: Buffer): RecordPosition[] {
  const { counts } = readHeader(msg);
  let at = HEADER;
  for (let i = 0; i < counts[0]; i++) at = readName(msg, at).end + 4;
  const out: RecordPosition[] = [];
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section + 1]; i++) {
      const start = at;
      const afterName = readName(msg, at).end;
      if (afterName + 10 > msg.length) throw new MalformedMessage('record runs past the end');
      const type = msg.readUInt16BE(afterName);
      const rdlength = msg.readUInt16BE(afterName + 8);
      at = afterName + 10 + rdlength;
      if (at > msg.length) throw new MalformedMessage('RDATA runs past the end');
      out.push({ section, start, type, rdataStart: afterName + 10, end: at });
    }
  }
  return out;
}

export { u16, u32 };
