// The guarded change every DNS operation goes through, which makes them idempotent and
// safe against changes made by someone else:
//  1. read every RRset concerned;
//  2. those already as asked need nothing (a retried activity, or the world already in
//     the target state: success, not conflict);
//  3. any other RRset must be exactly what the caller expected (TTL included), else
//     DnsConflict naming it, and nothing at all is written;
//  4. the rest goes to the provider as ONE change (one UPDATE, one PATCH), whose own
//     prerequisites catch a change made between 1 and 4;
//  5. read back: the server must now answer what we wrote.
import { notApplied, describeRRset, conflict } from './errors';
import type { DnsProvider, RRsetChange } from './provider';
import { sameRRset, type RecordType, type RRset } from './records';

export interface PlannedChange {
  name: string;
  type: RecordType;
  /** What must be there now; `undefined`: whatever is there now (still guarded between read and write). */
  expected: RRset | null | undefined;
  next: RRset | null;
}

/** For the audit log: the records before and after, in the order of the planned changes. */
export interface DnsChangeResult {
  before: (RRset | null)[];
  after: (RRset | null)[];
  /** Whether this call wrote anything (false on a repeat). */
  changed: boolean;
}

export async function readAll(provider: DnsProvider, keys: { name: string; type: RecordType }[]): Promise<(RRset | null)[]> {
  return Promise.all(keys.map((k) => provider.read(k.name, k.type)));
}

export async function applyChanges(provider: DnsProvider, planned: PlannedChange[]): Promise<DnsChangeResult> {
  const current = await readAll(provider, planned);
  const before = planned.map((p, i) => (p.expected === undefined ? current[i] : p.expected));
  const toSend: RRsetChange[] = [];
  planned.forEach((p, i) => {
    if (sameRRset(current[i], p.next)) return;
    if (!sameRRset(current[i], before[i])) throw conflict(p.name, p.type, before[i], current[i], provider.where);
    toSend.push({ name: p.name, type: p.type, expected: current[i], next: p.next });
  });
  if (!toSend.length) return { before, after: current, changed: false };

  await provider.replace(toSend);

  const after = await readAll(provider, planned);
  planned.forEach((p, i) => {
    if (!sameRRset(after[i], p.next)) {
      throw notApplied(`${provider.where} accepted the change of ${p.name} ${p.type} to ${describeRRset(p.next)} but answers ${describeRRset(after[i])}`);
    }
  });
  return { before, after, changed: true };
}
