// The two DNS activities every runbook step is made of (workflows/dns-steps.ts): read an
// RRset, and replace it from what the workflow recorded to what it wants. Both take JSON
// input with a provider REFERENCE (secrets stay `env:`/`file:` references, resolved on the
// worker). replaceRecords returns the records before and after for the audit log and is
// idempotent: run again after it succeeded, or when the zone is already as asked, it
// changes nothing and returns the same before- and after-state; a record someone else
// changed is a DnsConflict.
import { applyChange, type DnsChangeResult } from './apply-change';
import { invalidRequest } from './errors';
import { openProvider, type DnsProvider } from './provider';
import type { DnsProviderConfigInput } from './provider-config';
import {
  inZone,
  keyOf,
  normaliseName,
  normaliseRRset,
  normaliseType,
  WRITABLE_TYPES,
  type RecordType,
  type RRset,
  type RRsetInput,
  type RRsetKey,
} from './records';

export interface DnsTarget {
  /** The provider reference: `{ kind: 'rfc2136', server, port, tsigKey: 'file:…' }` or `{ kind: 'powerdns', apiUrl, apiKey: 'env:…' }`. */
  provider: DnsProviderConfigInput;
  /** The zone; may be left out when the provider config names it. */
  zone?: string;
}

/** A name and type inside the provider's zone, normalised. */
function target(provider: DnsProvider, key: RRsetKey, writable = false): { name: string; type: RecordType } {
  const name = normaliseName(key.name);
  const type = normaliseType(key.type);
  if (!inZone(name, provider.zone)) throw invalidRequest(`${name} is not in zone ${provider.zone}`);
  if (writable && !WRITABLE_TYPES.includes(type)) throw invalidRequest(`mailshift does not change ${type} records`);
  return { name, type };
}

// ---- readRecords --------------------------------------------------------------------

export interface ReadRecordsInput extends DnsTarget {
  name: string;
  /** A, AAAA, MX, CNAME or NS. */
  type: string;
}

/** The RRset as the provider holds it now, TTL included; null when there is none. */
export async function readRecords(input: ReadRecordsInput): Promise<RRset | null> {
  const provider = await openProvider(input.provider, input.zone);
  const { name, type } = target(provider, input);
  return provider.read(name, type);
}

// ---- replaceRecords -------------------------------------------------------------------

export interface ReplaceRecordsInput extends DnsTarget {
  /** What the RRset must be now (null: must not exist). */
  expected: RRsetInput | null;
  /** What it becomes (null: deleted). */
  next: RRsetInput | null;
}

/** The general step: one RRset from `expected` to `next`, guarded and idempotent. */
export async function replaceRecords(input: ReplaceRecordsInput): Promise<DnsChangeResult> {
  // JSON drops `undefined`: a missing `expected` is a mistake, not "must not exist".
  if (input.expected === undefined) throw invalidRequest('replaceRecords needs `expected` (null when the RRset must not exist)');
  const provider = await openProvider(input.provider, input.zone);
  const expected = normaliseRRset(input.expected);
  const next = normaliseRRset(input.next);
  const either = next ?? expected;
  if (!either) throw invalidRequest('replaceRecords needs an expected or a next RRset');
  const key = target(provider, either, true);
  if (expected && next && keyOf(expected) !== keyOf(next)) throw invalidRequest(`expected is ${keyOf(expected)} but next is ${keyOf(next)}`);
  return applyChange(provider, { ...key, expected, next });
}
