// The runbook's DNS steps as activities. Each takes JSON input with a provider
// REFERENCE (secrets stay `env:`/`file:` references, resolved on the worker), returns the
// records before and after for the audit log, and is idempotent: run again after it
// succeeded, or when the zone is already as asked, it changes nothing and returns the same
// after-state. Given the `expected` records (what the workflow recorded), a repeat also
// returns the same before-state, and a record someone else changed is a DnsConflict.
import { applyChanges, type DnsChangeResult, type PlannedChange } from './apply-changes';
import { conflict, invalidRequest } from './errors';
import { openProvider, type DnsProvider } from './provider';
import type { DnsProviderConfigInput } from './provider-config';
import {
  addressesByType,
  inZone,
  keyOf,
  normaliseName,
  normaliseRRset,
  normaliseTtl,
  normaliseType,
  sameRRset,
  WRITABLE_TYPES,
  type RecordType,
  type RRset,
  type RRsetInput,
  type RRsetKey,
} from './records';

export type { DnsChangeResult } from './apply-changes';
export type { RRset, RRsetInput, RRsetKey } from './records';

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

/** The RRset of `key` in a list of expected RRsets: `undefined` when no list was given, `null` when not listed. */
function expectedFor(list: RRsetInput[] | undefined, key: { name: string; type: RecordType }): RRset | null | undefined {
  if (!list) return undefined;
  const found = list.map((r) => normaliseRRset(r)).filter((r) => r.name === key.name && r.type === key.type);
  if (found.length > 1) throw invalidRequest(`expected lists ${key.name} ${key.type} twice`);
  return found[0] ?? null;
}

function noDuplicates(planned: PlannedChange[]): PlannedChange[] {
  const seen = new Set<string>();
  for (const p of planned) {
    const k = keyOf(p);
    if (seen.has(k)) throw invalidRequest(`${k} is listed twice`);
    seen.add(k);
  }
  return planned;
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

export interface ReplaceRecordsResult {
  before: RRset | null;
  after: RRset | null;
  changed: boolean;
}

/** The general step: one RRset from `expected` to `next`, guarded and idempotent. */
export async function replaceRecords(input: ReplaceRecordsInput): Promise<ReplaceRecordsResult> {
  // JSON drops `undefined`: a missing `expected` is a mistake, not "must not exist".
  if (input.expected === undefined) throw invalidRequest('replaceRecords needs `expected` (null when the RRset must not exist)');
  const provider = await openProvider(input.provider, input.zone);
  const expected = normaliseRRset(input.expected);
  const next = normaliseRRset(input.next);
  const either = next ?? expected;
  if (!either) throw invalidRequest('replaceRecords needs an expected or a next RRset');
  const key = target(provider, either, true);
  if (expected && next && keyOf(expected) !== keyOf(next)) throw invalidRequest(`expected is ${keyOf(expected)} but next is ${keyOf(next)}`);
  const r = await applyChanges(provider, [{ ...key, expected, next }]);
  return { before: r.before[0], after: r.after[0], changed: r.changed };
}

// ---- lowerTtl -----------------------------------------------------------------------

export interface LowerTtlInput extends DnsTarget {
  /** The RRsets whose TTL goes down, e.g. the MX and the IMAP host's A; all in one change. */
  records: RRsetKey[];
  /** The low TTL in seconds (e.g. 300). An RRset already at or below it is left as it is. */
  ttl: number;
  /** The RRsets as recorded earlier (e.g. by readRecords); default: as they are now. */
  expected?: RRsetInput[];
}

/** Step 3 of the runbook: the same records, with a low TTL (deleted and re-added in one update). */
export async function lowerTtl(input: LowerTtlInput): Promise<DnsChangeResult> {
  const provider = await openProvider(input.provider, input.zone);
  const ttl = normaliseTtl(input.ttl);
  const planned: PlannedChange[] = [];
  for (const k of input.records) {
    const key = target(provider, k, true);
    const expected = expectedFor(input.expected, key);
    const base = expected === undefined ? await provider.read(key.name, key.type) : expected;
    if (!base) throw invalidRequest(`${key.name} has no ${key.type} records whose TTL could be lowered`);
    planned.push({ ...key, expected, next: base.ttl > ttl ? { ...base, ttl } : base });
  }
  return applyChanges(provider, noDuplicates(planned));
}

// ---- switchMx -----------------------------------------------------------------------

export interface SwitchMxInput extends DnsTarget {
  /** The name whose MX routes the mail (usually the zone apex). */
  name: string;
  /** The new MX values, e.g. `["10 mx.new.example.test."]`. */
  values: string[];
  /** Default: the TTL the MX has now (lowered earlier). */
  ttl?: number;
  /** The MX RRset as recorded (null: none); default: as it is now. */
  expected?: RRsetInput | null;
  /**
   * Addresses of new MX targets inside the zone, added in the same update when the target
   * has none (BIND refuses an MX whose in-zone target has no A/AAAA record). A target that
   * already has other addresses is a conflict: mailshift does not move someone's host.
   */
  targetAddresses?: { name: string; addresses: string[] }[];
}

/** Step 8: the MX to host2. Result: the MX first, then each target's A/AAAA. */
export async function switchMx(input: SwitchMxInput): Promise<DnsChangeResult> {
  const provider = await openProvider(input.provider, input.zone);
  const key = target(provider, { name: input.name, type: 'MX' }, true);
  const expected = input.expected === undefined ? undefined : normaliseRRset(input.expected);
  const base = expected === undefined ? await provider.read(key.name, 'MX') : expected;
  const ttl = input.ttl ?? base?.ttl;
  if (ttl === undefined) throw invalidRequest(`${key.name} has no MX yet: give the TTL of the new one`);
  const next = normaliseRRset({ ...key, ttl, values: input.values });

  // Addresses first: BIND checks the MX target when it applies the MX.
  const addresses: PlannedChange[] = [];
  for (const t of input.targetAddresses ?? []) {
    const byType = addressesByType(t.addresses);
    for (const type of ['A', 'AAAA'] as const) {
      if (!byType[type].length) continue;
      const addressKey = target(provider, { name: t.name, type });
      const wanted = normaliseRRset({ ...addressKey, ttl: next.ttl, values: byType[type] });
      const now = await provider.read(addressKey.name, type);
      if (now && !sameRRset(now, wanted, { ttl: false })) throw conflict(addressKey.name, type, wanted, now, provider.where);
      addresses.push({ ...addressKey, expected: now, next: now ?? wanted });
    }
  }
  const r = await applyChanges(provider, noDuplicates([...addresses, { ...key, expected, next }]));
  // The MX first in the result, as documented.
  const n = addresses.length;
  return { before: [r.before[n], ...r.before.slice(0, n)], after: [r.after[n], ...r.after.slice(0, n)], changed: r.changed };
}

// ---- switchAddress ------------------------------------------------------------------

export interface SwitchAddressInput extends DnsTarget {
  /** The IMAP host name users know. */
  name: string;
  /** Its new addresses (IPv4 → A, IPv6 → AAAA); a family not given loses its RRset. */
  addresses: string[];
  /** Default: the TTL the A (else AAAA) RRset has now. */
  ttl?: number;
  /** The name's A/AAAA RRsets as recorded; a type not listed must not exist. Default: as they are now. */
  expected?: RRsetInput[];
}

/** Lucky scenario: the IMAP host name to host2 (or parked). Result: [A, AAAA]. */
export async function switchAddress(input: SwitchAddressInput): Promise<DnsChangeResult> {
  const provider = await openProvider(input.provider, input.zone);
  const a = target(provider, { name: input.name, type: 'A' }, true);
  const aaaa = target(provider, { name: input.name, type: 'AAAA' }, true);
  if (!input.addresses.length) throw invalidRequest(`no address given for ${a.name}`);
  const cname = await provider.read(a.name, 'CNAME');
  if (cname) throw invalidRequest(`${a.name} is a CNAME to ${cname.values[0]}: change the CNAME (replaceRecords), not its addresses`);
  const expA = expectedFor(input.expected, a);
  const expAAAA = expectedFor(input.expected, aaaa);
  const baseA = expA === undefined ? await provider.read(a.name, 'A') : expA;
  const baseAAAA = expAAAA === undefined ? await provider.read(aaaa.name, 'AAAA') : expAAAA;
  const ttl = input.ttl ?? baseA?.ttl ?? baseAAAA?.ttl;
  if (ttl === undefined) throw invalidRequest(`${a.name} has no address yet: give the TTL`);
  const byType = addressesByType(input.addresses);
  const rrset = (key: { name: string; type: RecordType }, values: string[]) => (values.length ? normaliseRRset({ ...key, ttl, values }) : null);
  return applyChanges(provider, [
    { ...a, expected: expA, next: rrset(a, byType.A) },
    { ...aaaa, expected: expAAAA, next: rrset(aaaa, byType.AAAA) },
  ]);
}

// ---- restoreRecords -----------------------------------------------------------------

export interface RestoreRecordsInput extends DnsTarget {
  /** The records to put back, exactly (TTL included): what readRecords or a change's `before` returned. */
  records: RRsetInput[];
  /** RRsets that did not exist before and must not after (e.g. an address added with a new MX target). */
  absent?: RRsetKey[];
  /** What mailshift last wrote (a change's `after`); a type not listed must not exist. Default: as they are now. */
  expected?: RRsetInput[];
}

/** Back-out and the end of the runbook: the recorded records back. Result: records, then absent. */
export async function restoreRecords(input: RestoreRecordsInput): Promise<DnsChangeResult> {
  const provider = await openProvider(input.provider, input.zone);
  const planned: PlannedChange[] = [];
  for (const r of input.records) {
    const next = normaliseRRset(r);
    const key = target(provider, next, true);
    planned.push({ ...key, expected: expectedFor(input.expected, key), next });
  }
  for (const k of input.absent ?? []) {
    const key = target(provider, k, true);
    planned.push({ ...key, expected: expectedFor(input.expected, key), next: null });
  }
  return applyChanges(provider, noDuplicates(planned));
}
