// The guarded change behind replaceRecords, which makes it idempotent and safe against
// changes made by someone else:
//  1. read the RRset;
//  2. already as asked: nothing to do (a retried activity, or the world already in the
//     target state: success, not conflict);
//  3. otherwise it must be exactly what the caller expected (TTL included), else
//     DnsConflict naming it, and nothing is written;
//  4. the change goes to the provider (one UPDATE, one PATCH), whose own prerequisites
//     catch a change made between 1 and 4;
//  5. read back: the server must now answer what we wrote.
import { notApplied, describeRRset, conflict } from './errors';
import type { DnsProvider } from './provider';
import { sameRRset, type RecordType, type RRset } from './records';

export interface PlannedChange {
  name: string;
  type: RecordType;
  /** What must be there now (null: nothing). */
  expected: RRset | null;
  next: RRset | null;
}

/** For the audit log: the record before (as expected) and after. */
export interface DnsChangeResult {
  before: RRset | null;
  after: RRset | null;
  /** Whether this call wrote anything (false on a repeat). */
  changed: boolean;
}

export async function applyChange(provider: DnsProvider, planned: PlannedChange): Promise<DnsChangeResult> {
  const { name, type, expected, next } = planned;
  const current = await provider.read(name, type);
  if (sameRRset(current, next)) return { before: expected, after: current, changed: false };
  if (!sameRRset(current, expected)) throw conflict(name, type, expected, current, provider.where);

  await provider.replace([{ name, type, expected: current, next }]);

  const after = await provider.read(name, type);
  if (!sameRRset(after, next)) {
    throw notApplied(`${provider.where} accepted the change of ${name} ${type} to ${describeRRset(next)} but answers ${describeRRset(after)}`);
  }
  return { before: expected, after, changed: true };
}
