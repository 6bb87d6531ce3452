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

function recordNames(run: Runbook): { name: string; type: 'MX' | 'A' }[] {
  const names: { name: string; type: 'MX' | 'A' }[] = [{ name: run.spec.dns.mx.name, type: 'MX' }];
  if (run.spec.dns.imapHost) names.push({ name: run.spec.dns.imapHost.name, type: 'A' });
  return names;
}

/** Replaces one record set (as recorded, or as approved at a conflict), then waits for it to propagate. */
export async function changeRecord(run: Runbook, step: string, next: DnsRecordSet): Promise<void> {
  const replaced = await writeRecord(run, step, next);
  await awaitPropagation(run, next, replaced);
}

/** Replaces one record set; returns the one it replaced. Safe to repeat: writing what is there is a no-op. */
async function writeRecord(run: Runbook, step: string, next: DnsRecordSet): Promise<DnsRecordSet | null> {
  const { provider, zone } = run.spec.dns;
  const key = recordKey(next);
  for (;;) {
    const expected = run.currentRecords.get(key) ?? null;
    try {
      const { before, after } = await act.replaceRecords({ provider, zone, expected, next });
      run.currentRecords.set(key, after);
      run.audit.push({ at: nowIso(), kind: 'dns', step, before: [before], after: [after] });
      return before;
    } catch (err) {
      const conflict = dnsConflictOf(err);
      if (!conflict) throw err;
      await holdOnConflict(run, step, next, conflict);
    }
  }
}

/**
 * The authoritative servers and the listed resolvers answer `next`: checked every 30 s
 * for as long as caches may hold the record it replaced (its TTL, a minute at least);
 * then the step fails (gate step-failed) with what was found. The record stays written.
 */
async function awaitPropagation(run: Runbook, next: DnsRecordSet, replaced: DnsRecordSet | null): Promise<void> {
  const { provider, zone, checkResolvers } = run.spec.dns;
  const deadline = Date.now() + Math.max(60, replaced?.ttl ?? 0) * 1000;
  for (;;) {
    const propagation = await act.checkPropagation({ provider, zone, expected: next, resolvers: checkResolvers });
    if (propagation.ok) return;
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(`${next.name} ${next.type} has not propagated: ${propagation.summary}`, 'NotPropagated');
    }
    await sleep(30_000);
  }
}

/**
 * Someone else changed a record mailshift is about to change: never overwrite it
 * unasked. Wait at gate `dns-conflict` with the conflict explained; once approved, the
 * record as it is then is what the change replaces (a rollback is possible instead).
 */
async function holdOnConflict(run: Runbook, step: string, next: DnsRecordSet, conflict: ApplicationFailure): Promise<void> {
  const [found] = (conflict.details ?? []) as { expected: DnsRecordSet | null; actual: DnsRecordSet | null }[];
  run.audit.push({ at: nowIso(), kind: 'dns-conflict', step, expected: found?.expected ?? null, found: found?.actual ?? null });
  run.conflict = `DNS conflict at "${step}": ${conflict.message}`;
  const phase = run.phase;
  run.enter(`waiting for dns-conflict (${step})`);
  // During a rollback the rollback request must not count as the approval.
  const rollingBack = phase === 'rolling back';
  await run.waitAtGate('dns-conflict', run.conflict, { endsOnRollback: !rollingBack });
  run.conflict = undefined;
  if (run.gates.rollbackRequested && !rollingBack) throw new RollbackRequested();
  const { name, type } = next;
  run.currentRecords.set(recordKey(next), await act.readRecords({ provider: run.spec.dns.provider, zone: run.spec.dns.zone, name, type: type as 'MX' | 'A' }));
  run.enter(phase);
}

/** Step 3: lower the TTLs, remembering the old records, and wait out the old TTL. */
export async function lowerTtl(run: Runbook): Promise<void> {
  await run.step('lowering TTL');
  let longest = 0;
  for (const { name, type } of recordNames(run)) {
    const rrset = await act.readRecords({ provider: run.spec.dns.provider, zone: run.spec.dns.zone, name, type });
    if (!rrset) throw ApplicationFailure.nonRetryable(`${name} has no ${type} record in ${run.spec.dns.zone}`, 'DnsMissing');
    run.originalRecords.push(rrset);
    run.currentRecords.set(recordKey(rrset), rrset);
    longest = Math.max(longest, rrset.ttl);
    if (rrset.ttl > run.spec.dns.lowTtl) await changeRecord(run, 'lower TTL', { ...rrset, ttl: run.spec.dns.lowTtl });
  }
  await run.wait('the old TTL to run out', longest * 1000);
}

/** Step 8: the MX to host2, only after every mailbox's final sync was verified. */
export async function switchMx(run: Runbook): Promise<void> {
  await run.step('switching MX');
  assertMxMayMove(run.finalSync, run.usersOf());
  const { name } = run.spec.dns.mx;
  const current = [...run.currentRecords.values()].find((r) => r?.type === 'MX');
  const next = { name: current?.name ?? name, type: 'MX', ttl: run.spec.dns.lowTtl, values: run.spec.dns.mx.host2 };
  const replaced = await writeRecord(run, 'switch MX', next);
  // From here mail may reach host2, whether or not every resolver says so yet.
  run.mxOnHost2 = true;
  await awaitPropagation(run, next, replaced);
}

/** Step 9: wait the low TTL, so that no server still sends to host1. */
export async function waitTtl(run: Runbook): Promise<void> {
  await run.step('waiting the low TTL');
  await run.wait('the low TTL to run out', run.spec.dns.lowTtl * 1000);
}

/** Lucky scenario: the IMAP host name to host2 (or parked at cut-over). */
export async function pointImapHost(run: Runbook, step: string, addresses: string[]): Promise<void> {
  const imap = run.spec.dns.imapHost!;
  const current = [...run.currentRecords.values()].find((r) => r?.type === 'A');
  await changeRecord(run, step, { name: current?.name ?? imap.name, type: 'A', ttl: run.spec.dns.lowTtl, values: addresses });
}

/** Step 12: each TTL back to what it was before the migration (the FAQ), or to the spec's `dns.restoreTtl`. */
export async function restoreTtl(run: Runbook): Promise<void> {
  await run.step('restoring TTL');
  for (const rrset of run.currentRecords.values()) {
    if (!rrset) continue;
    const ttl = run.spec.dns.restoreTtl ?? run.originalRecords.find((o) => o.name === rrset.name && o.type === rrset.type)?.ttl ?? rrset.ttl;
    if (rrset.ttl !== ttl) await changeRecord(run, 'restore TTL', { ...rrset, ttl });
  }
}
