// The runbook's DNS steps: lower the TTLs (remembering the records for the back-out),
// switch the MX, move the IMAP host name (lucky), restore the TTLs. Every change says
// what it expects to replace: a record someone else changed stops at gate `dns-conflict`.
import { ActivityFailure, ApplicationFailure, sleep } from '@temporalio/workflow';
import type { DnsRecordSet } from './audit';
import { RollbackRequested } from './gates';
import { assertMxMayMove } from './phase-rules';
import { act } from './runbook-activities';
import type { Runbook } from './runbook';

const nowIso = () => new Date().toISOString();

/** Where a record set is kept in `currentRecords`: `name/type`. */
export const recordKey = (r: Pick<DnsRecordSet, 'name' | 'type'>) => `${r.name}/${r.type}`;

/** The DnsConflict failure behind an activity failure (activities/dns/errors.ts DNS_CONFLICT; workflows import no activity code). */
function dnsConflictOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure && cause.type === 'DnsConflict' ? cause : undefined;
}

/** A DNS name as the DNS activities return it (lower case, trailing dot): the same `recordKey` whichever way the spec wrote it. */
const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

type AddressType = 'A' | 'AAAA';
const ADDRESS_TYPES: AddressType[] = ['A', 'AAAA'];

/** The spec checked each address is IPv4 or IPv6: only IPv6 has colons. */
const addressType = (address: string): AddressType => (address.includes(':') ? 'AAAA' : 'A');

/** A record set known by its name and type; it may not exist. */
type RecordKey = Pick<DnsRecordSet, 'name' | 'type'>;

/** What the runbook changes: the MX, and (lucky) the IMAP host name's A and AAAA, either of which may be missing. */
function recordNames(run: Runbook): RecordKey[] {
  const names: RecordKey[] = [{ name: fqdn(run.spec.dns.mx.name), type: 'MX' }];
  const imap = run.spec.dns.imapHost;
  if (imap) names.push(...ADDRESS_TYPES.map((type) => ({ name: fqdn(imap.name), type })));
  return names;
}

/** Replaces one record set (as recorded, or as approved at a conflict; `next` null deletes it), then waits for it to propagate. */
export async function changeRecord(run: Runbook, step: string, key: RecordKey, next: DnsRecordSet | null): Promise<void> {
  const replaced = await writeRecord(run, step, key, next);
  await awaitPropagation(run, key, next, replaced);
}

/** Replaces one record set; returns the one it replaced. Safe to repeat: writing what is there is a no-op. */
async function writeRecord(run: Runbook, step: string, key: RecordKey, next: DnsRecordSet | null): Promise<DnsRecordSet | null> {
  const { provider, zone } = run.spec.dns;
  for (;;) {
    const expected = run.currentRecords.get(recordKey(key)) ?? null;
    // Deleting what is not there: nothing to write (the activity needs one of the two).
    if (!expected && !next) return null;
    try {
      const { before, after } = await act.replaceRecords({ provider, zone, expected, next });
      run.currentRecords.set(recordKey(key), after);
      run.audit.push({ at: nowIso(), kind: 'dns', step, before: [before], after: [after] });
      return before;
    } catch (err) {
      const conflict = dnsConflictOf(err);
      if (!conflict) throw err;
      await holdOnConflict(run, step, key, conflict);
    }
  }
}

/**
 * The authoritative servers and the listed resolvers answer `next`: checked every 30 s
 * for as long as caches may hold the record it replaced (its TTL, a minute at least);
 * then the step fails (gate step-failed) with what was found. The record stays written.
 */
async function awaitPropagation(run: Runbook, { name, type }: RecordKey, next: DnsRecordSet | null, replaced: DnsRecordSet | null): Promise<void> {
  const { provider, zone, checkResolvers } = run.spec.dns;
  const deadline = Date.now() + Math.max(60, replaced?.ttl ?? 0) * 1000;
  for (;;) {
    const propagation = await act.checkPropagation({ provider, zone, expected: next, name, type, resolvers: checkResolvers });
    if (propagation.ok) return;
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(`${name} ${type} has not propagated: ${propagation.summary}`, 'NotPropagated');
    }
    await sleep(30_000);
  }
}

/**
 * Someone else changed a record mailshift is about to change: never overwrite it
 * unasked. Wait at gate `dns-conflict` with the conflict explained; once approved, the
 * record as it is then is what the change replaces (a rollback is possible instead).
 */
async function holdOnConflict(run: Runbook, step: string, key: RecordKey, conflict: ApplicationFailure): Promise<void> {
  const [found] = (conflict.details ?? []) as { expected: DnsRecordSet | null; actual: DnsRecordSet | null }[];
  run.audit.push({ at: nowIso(), kind: 'dns-conflict', step, expected: found?.expected ?? null, found: found?.actual ?? null });
  run.conflict = `DNS conflict at "${step}": ${conflict.message}`;
  const phase = run.phase;
  run.enter(`waiting for dns-conflict (${step})`);
  // During a rollback the rollback request must not count as the approval.
  const { rollingBack } = run;
  await run.waitAtGate('dns-conflict', run.conflict, { endsOnRollback: !rollingBack });
  run.conflict = undefined;
  if (run.gates.rollbackRequested && !rollingBack) throw new RollbackRequested();
  const { name, type } = key;
  run.currentRecords.set(recordKey(key), await act.readRecords({ provider: run.spec.dns.provider, zone: run.spec.dns.zone, name, type }));
  run.enter(phase);
}

/**
 * Step 3: lower the TTLs, remembering the old records, and wait out the old TTL. The IMAP
 * host name needs an A or an AAAA (an IPv6-only host is fine); one it lacks is recorded as
 * absent, so that a rollback removes it if the migration created it.
 */
export async function lowerTtl(run: Runbook): Promise<void> {
  await run.step('lowering TTL');
  const { provider, zone, lowTtl } = run.spec.dns;
  const original = (key: RecordKey) => run.originalRecords.find((o) => recordKey(o) === recordKey(key));
  for (const key of recordNames(run)) {
    // A retry (after a failure) keeps the originals the first attempt read, and reads again those it did not find.
    if (original(key)) continue;
    const rrset = await act.readRecords({ provider, zone, ...key });
    if (rrset) run.originalRecords.push(rrset);
    run.currentRecords.set(recordKey(key), rrset);
  }
  const missing = (type: string) => !run.originalRecords.some((o) => o.type === type);
  if (missing('MX')) throw ApplicationFailure.nonRetryable(`${fqdn(run.spec.dns.mx.name)} has no MX record in ${zone}`, 'DnsMissing');
  const imap = run.spec.dns.imapHost;
  if (imap && ADDRESS_TYPES.every(missing)) throw ApplicationFailure.nonRetryable(`${fqdn(imap.name)} has no A or AAAA record in ${zone}`, 'DnsMissing');
  for (const key of recordNames(run)) {
    const rrset = run.currentRecords.get(recordKey(key));
    if (rrset && rrset.ttl > lowTtl) await changeRecord(run, 'lower TTL', key, { ...rrset, ttl: lowTtl });
  }
  await run.step('waiting out the old TTL');
  await run.wait('the old TTL to run out', Math.max(0, ...run.originalRecords.map((o) => o.ttl)) * 1000);
}

/**
 * mx-first: the MX moves at the migration hour the users were told, not as soon as the
 * old TTL ran out.
 */
export async function untilMigrationHour(run: Runbook): Promise<void> {
  const left = Date.parse(run.spec.schedule.migrationAt) - Date.now();
  if (left <= 0) return;
  await run.step('waiting for the migration hour');
  await run.wait('the migration hour', left);
}

/**
 * Step 8: the MX to host2, only after every mailbox's final sync was verified. mx-first
 * moves it before any sync, by design: host2 takes new mail while the old is back-filled.
 */
export async function switchMx(run: Runbook): Promise<void> {
  await run.step('switching MX');
  if (run.spec.scenario !== 'mx-first') assertMxMayMove(run.finalSync, run.usersOf());
  const { name } = run.spec.dns.mx;
  const current = [...run.currentRecords.values()].find((r) => r?.type === 'MX');
  const next = { name: current?.name ?? name, type: 'MX', ttl: run.spec.dns.lowTtl, values: run.spec.dns.mx.host2 };
  const replaced = await writeRecord(run, 'switch MX', next, next);
  // From here mail may reach host2, whether or not every resolver says so yet.
  run.mxOnHost2 = true;
  await awaitPropagation(run, next, next, replaced);
}

/**
 * Hold-and-release, at cut-over: the MX to the holding relay (mailFlow.holdingRelay.mx),
 * which holds all mail for the domain. host2 gets no mail by it: no final sync needed first.
 */
export async function pointMxToHoldingRelay(run: Runbook): Promise<void> {
  await run.step('moving MX to the holding relay');
  const current = [...run.currentRecords.values()].find((r) => r?.type === 'MX');
  const next = { name: current?.name ?? fqdn(run.spec.dns.mx.name), type: 'MX', ttl: run.spec.dns.lowTtl, values: run.spec.mailFlow.holdingRelay!.mx };
  await changeRecord(run, 'MX to the holding relay', next, next);
}

/**
 * Step 9: wait the low TTL, so that no server still sends to host1. The lucky scenario
 * also waits it after parking the IMAP host name: then no client still resolves host1.
 */
export async function waitTtl(run: Runbook): Promise<void> {
  await run.step('waiting the low TTL');
  await run.wait('the low TTL to run out', run.spec.dns.lowTtl * 1000);
}

/**
 * Lucky scenario: the IMAP host name to host2 (or parked at cut-over). IPv4 addresses go
 * to its A, IPv6 to its AAAA; a family with no address loses its record, else its clients
 * would stay on host1. Writes come before deletions: the name never has no address at all.
 */
export async function pointImapHost(run: Runbook, step: string, addresses: string[]): Promise<void> {
  const name = fqdn(run.spec.dns.imapHost!.name);
  const families = ADDRESS_TYPES.map((type) => ({ type, values: addresses.filter((a) => addressType(a) === type) }));
  for (const { type, values } of [...families.filter((f) => f.values.length), ...families.filter((f) => !f.values.length)]) {
    if (values.length) await changeRecord(run, step, { name, type }, { name, type, ttl: run.spec.dns.lowTtl, values });
    else if (run.currentRecords.get(recordKey({ name, type }))) await changeRecord(run, step, { name, type }, null);
  }
}

/**
 * The TTL a record had before the migration. One the migration created (host2 has IPv6,
 * host1 had not) takes the one its name's other address record had.
 */
function originalTtl(run: Runbook, rrset: DnsRecordSet): number {
  const original =
    run.originalRecords.find((o) => recordKey(o) === recordKey(rrset)) ??
    run.originalRecords.find(
      (o) => o.name === rrset.name && ADDRESS_TYPES.includes(o.type as AddressType) && ADDRESS_TYPES.includes(rrset.type as AddressType),
    );
  return original?.ttl ?? rrset.ttl;
}

/** Step 12: each TTL back to what it was before the migration (the FAQ), or to the spec's `dns.restoreTtl`. */
export async function restoreTtl(run: Runbook): Promise<void> {
  await run.step('restoring TTL');
  for (const rrset of run.currentRecords.values()) {
    if (!rrset) continue;
    const ttl = run.spec.dns.restoreTtl ?? originalTtl(run, rrset);
    if (rrset.ttl !== ttl) await changeRecord(run, 'restore TTL', rrset, { ...rrset, ttl });
  }
}
