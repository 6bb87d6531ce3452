// DNS records as mailshift passes them around: plain JSON objects (they go into Temporal
// history and the audit log), always in one normal form so that comparing "what we
// expect" with "what the server answers" is an exact comparison, whatever the source
// (an operator's spec, a DNS answer, the PowerDNS API) wrote: lower case, trailing dots,
// canonical addresses, values sorted and without duplicates.
import { isIPv4, isIPv6 } from 'node:net';
import { invalidRequest } from './errors';

/** The types the runbook changes (MX, the IMAP host's A/AAAA, a CNAME) and NS, read for propagation checks. */
export const RECORD_TYPES = ['A', 'AAAA', 'MX', 'CNAME', 'NS'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
/** The types an operation may write. */
export const WRITABLE_TYPES: readonly RecordType[] = ['A', 'AAAA', 'MX', 'CNAME'];

/** One RRset: every record of one name and type, with their common TTL. */
export interface RRset {
  /** Fully qualified, lower case, with the trailing dot: `mx.example.test.` */
  name: string;
  type: RecordType;
  /** Seconds. */
  ttl: number;
  /** Presentation form, normalised and sorted: `10 mx2.example.test.`, `192.0.2.1`. Never empty. */
  values: string[];
}

/** What callers may pass: as an RRset, but not yet normalised (`type` may be any string). */
export interface RRsetInput {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

/** An RRset identified without its content. */
export interface RRsetKey {
  name: string;
  type: string;
}

const LABEL = /^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** `Mail.Example.TEST` → `mail.example.test.`; the root stays `.`. */
export function normaliseName(name: string): string {
  const n = name.trim().toLowerCase();
  if (n === '.') return '.';
  const bare = n.replace(/\.$/, '');
  const labels = bare.split('.');
  if (!bare || bare.length > 253 || !labels.every((l) => LABEL.test(l))) throw invalidRequest(`"${name}" is not a valid DNS name`);
  return `${bare}.`;
}

export function normaliseType(type: string): RecordType {
  const t = type.trim().toUpperCase();
  if (!(RECORD_TYPES as readonly string[]).includes(t)) throw invalidRequest(`record type "${type}" is not supported (only ${RECORD_TYPES.join(', ')})`);
  return t as RecordType;
}

/** RFC 5952 text for an IPv6 address (what the URL parser produces). */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** One value in presentation form, normalised for its type. Host names are always absolute. */
export function normaliseValue(type: RecordType, value: string): string {
  const v = value.trim();
  switch (type) {
    case 'A':
      if (!isIPv4(v)) throw invalidRequest(`"${value}" is not an IPv4 address (A record)`);
      return v;
    case 'AAAA':
      if (!isIPv6(v)) throw invalidRequest(`"${value}" is not an IPv6 address (AAAA record)`);
      return canonicalIPv6(v);
    case 'MX': {
      const m = /^(\d{1,5})\s+(\S+)$/.exec(v);
      if (!m || Number(m[1]) > 65535) throw invalidRequest(`"${value}" is not an MX value ("<preference> <host>")`);
      return `${Number(m[1])} ${normaliseName(m[2])}`;
    }
    case 'CNAME':
    case 'NS':
      return normaliseName(v);
  }
}

export function normaliseTtl(ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) throw invalidRequest(`TTL ${ttl} is not a number of seconds`);
  return ttl;
}

/** MX by preference then host; others as text. Equal sets sort equal. */
export function compareValues(a: string, b: string): number {
  const pa = /^(\d+) /.exec(a);
  const pb = /^(\d+) /.exec(b);
  if (pa && pb && pa[1] !== pb[1]) return Number(pa[1]) - Number(pb[1]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The normal form of an RRset; `null` stays `null` (the RRset does not exist). */
export function normaliseRRset(r: RRsetInput): RRset;
export function normaliseRRset(r: RRsetInput | null | undefined): RRset | null;
export function normaliseRRset(r: RRsetInput | null | undefined): RRset | null {
  if (!r) return null;
  const type = normaliseType(r.type);
  if (!Array.isArray(r.values) || r.values.length === 0)
    throw invalidRequest(`${r.name} ${type}: an RRset needs at least one value (use null for "no records")`);
  const values = [...new Set(r.values.map((v) => normaliseValue(type, String(v))))].sort(compareValues);
  if (type === 'CNAME' && values.length > 1) throw invalidRequest(`${r.name}: a CNAME RRset has exactly one value`);
  return { name: normaliseName(r.name), type, ttl: normaliseTtl(r.ttl), values };
}

export function keyOf(r: RRsetKey): string {
  return `${normaliseName(r.name)} ${normaliseType(r.type)}`;
}

/** Exact equality of two normalised RRsets (or both absent); TTL compared unless told not to. */
export function sameRRset(a: RRset | null, b: RRset | null, options: { ttl?: boolean } = {}): boolean {
  if (!a || !b) return a === b;
  return (
    a.name === b.name &&
    a.type === b.type &&
    (options.ttl === false || a.ttl === b.ttl) &&
    a.values.length === b.values.length &&
    a.values.every((v, i) => v === b.values[i])
  );
}

/** `mail.example.test.` is in zone `example.test.` (the zone apex too). */
export function inZone(name: string, zone: string): boolean {
  const n = normaliseName(name);
  const z = normaliseName(zone);
  return z === '.' || n === z || n.endsWith(`.${z}`);
}
