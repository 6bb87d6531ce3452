// The back-out: DNS back to the recorded records (TTL restored too), host1 re-opened,
// users and approvers told.
import { changeRecord, recordKey } from './dns-steps';
import { notifyApprovers, notifyUsers } from './notices';
import { accessAct } from './runbook-activities';
import type { Runbook } from './runbook';
import type { MigrationReport } from './status';

export async function rollback(run: Runbook): Promise<MigrationReport> {
  run.enter('rolling back');
  for (const original of run.originalRecords) {
    const current = run.currentRecords.get(recordKey(original));
    if (JSON.stringify(current) !== JSON.stringify(original)) await changeRecord(run, 'rollback', original);
  }
  if (run.accessCut.length) {
    await accessAct.restoreAccess({ method: run.spec.access, users: run.accessCut, phase: 'rollback' });
    run.audit.push({ at: new Date().toISOString(), kind: 'access', step: 'restore', users: run.accessCut });
  }
  const by = run.gates.rollbackRequested;
  await notifyUsers(run, 'users-rollback', run.usersOf());
  await notifyApprovers(run, 'approver-rollback-done', {
    by: by?.by ?? 'the runbook',
    comment: by?.comment ?? '',
    restored: `DNS records: ${run.originalRecords.map((r) => `${r.name} ${r.type}`).join(', ') || 'none changed'}; host1 access: ${run.accessCut.length} user(s)`,
  });
  return run.report('rolled-back');
}
