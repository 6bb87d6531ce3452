// The audit log, bounded. Anyone who can send a signal can make the runbook write a
// refusal, and the log travels in the `status` answer (gRPC's 4 MB) and through
// continue-as-new (Temporal's 2 MB): so every text in it is clipped, only the first and
// the latest refusals are kept, and past a budget the oldest entries after the first
// few give way. What is left out is counted, by kind, never silently lost.
import type { AuditEntry } from './audit';
import { clip, NAME_MAX_CHARS, TEXT_MAX_CHARS } from './text-bounds';

/** Refusals kept: the first ones (when it started) and the latest. */
const REFUSED_FIRST = 10;
const REFUSED_LAST = 20;
/** What the kept entries may add up to as JSON. */
export const AUDIT_BUDGET_BYTES = 200_000;
/** The migration's first entries, never left out for the budget. */
const HEAD = 20;

/** The entries left out of the log: how many, of which kinds, and when they were written. */
export interface AuditOmitted {
  entries: number;
  kinds: Record<string, number>;
  from: string;
  until: string;
}

const NAME_FIELDS = new Set(['by', 'what', 'gate', 'decision']);

/** Users an entry names (a wave cut, a page provisioned); the others are counted in its last item. */
export const AUDIT_NAMES = 50;

/** The entry with each of its texts clipped (names shorter than comments and errors), and its lists of users. */
function clipped(entry: AuditEntry): AuditEntry {
  const out: Record<string, unknown> = { ...entry };
  for (const [field, value] of Object.entries(out)) {
    if (typeof value === 'string') out[field] = clip(value, NAME_FIELDS.has(field) ? NAME_MAX_CHARS : TEXT_MAX_CHARS);
    if (Array.isArray(value) && value.length > AUDIT_NAMES) {
      out[field] = [
        ...value.slice(0, AUDIT_NAMES - 1).map((v) => (typeof v === 'string' ? clip(v, NAME_MAX_CHARS) : v)),
        `… and ${value.length - AUDIT_NAMES + 1} more`,
      ];
    }
  }
  return out as AuditEntry;
}

const size = (e: AuditEntry) => JSON.stringify(e).length + 1;

export class AuditLog {
  private readonly kept: AuditEntry[] = [];
  private bytes = 0;
  private left: AuditOmitted | undefined;

  /** A log carried over from an earlier run (continue-as-new): its bounds apply again. */
  constructor(entries: readonly AuditEntry[] = [], omitted?: AuditOmitted) {
    this.left = omitted && { ...omitted, kinds: { ...omitted.kinds } };
    for (const e of entries) this.push(e);
  }

  /** The entries kept, in order (a copy: the log alone decides what it keeps). */
  get entries(): AuditEntry[] {
    return [...this.kept];
  }

  /** What was left out, if anything (a copy). */
  get omitted(): AuditOmitted | undefined {
    return this.left && { ...this.left, kinds: { ...this.left.kinds } };
  }

  /** How many entries of `kind` were ever written, kept or not. */
  count(kind: AuditEntry['kind']): number {
    return this.kept.filter((e) => e.kind === kind).length + (this.left?.kinds[kind] ?? 0);
  }

  push(entry: AuditEntry): void {
    const e = clipped(entry);
    this.kept.push(e);
    this.bytes += size(e);
    if (e.kind === 'refused') this.capRefusals();
    while (this.bytes > AUDIT_BUDGET_BYTES && this.kept.length > HEAD + 1) this.omit(HEAD);
  }

  /** Leaves out the oldest refusal past the first REFUSED_FIRST once there are more than the bound. */
  private capRefusals(): void {
    let seen = 0;
    let oldestOfRest = -1;
    for (let i = 0; i < this.kept.length; i++) {
      if (this.kept[i].kind !== 'refused') continue;
      if (seen === REFUSED_FIRST) oldestOfRest = i;
      seen++;
    }
    if (seen > REFUSED_FIRST + REFUSED_LAST) this.omit(oldestOfRest);
  }

  private omit(index: number): void {
    const [e] = this.kept.splice(index, 1);
    this.bytes -= size(e);
    const o = (this.left ??= { entries: 0, kinds: {}, from: e.at, until: e.at });
    o.entries++;
    o.kinds[e.kind] = (o.kinds[e.kind] ?? 0) + 1;
    if (e.at < o.from) o.from = e.at;
    if (e.at > o.until) o.until = e.at;
  }
}

/** How many entries a log has had written: the kept ones and those left out. */
export const entriesWritten = (s: { audit: AuditEntry[]; auditOmitted?: AuditOmitted }): number => s.audit.length + (s.auditOmitted?.entries ?? 0);
