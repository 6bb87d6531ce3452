// The back-out: DNS back to the recorded records (TTL restored too), host1 re-opened,
// and, once the MX had moved, host2's new INBOX mail copied back to host1 (mail delivered
// there since the switch, and what post-syncs removed from host1), never deleting on host2.
// Users and approvers are told what is true.
import { sleep } from '@temporalio/workflow';
import { restoreAccess } from './access-steps';
import { changeRecord, recordKey } from './dns-steps';
import { releaseHeldToHost1 } from './mail-hold';
import { notifyApprovers, notifyUsers } from './notices';
import type { Runbook } from './runbook';
import type { MigrationReport } from './status';
import { stopAtStepFailed, withRecovery } from './step-failed';
import { round } from './sync-rounds';

export async function rollback(run: Runbook): Promise<MigrationReport> {
  run.rollingBack = true;
  run.enter('rolling back');
  const mxWasOnHost2 = run.mxOnHost2;
  // Every record the runbook knows of back to its original, deleting one it created (e.g. an AAAA for a parked IPv6 address).
  for (const [key, current] of run.currentRecords) {
    const original = run.originalRecords.find((o) => recordKey(o) === key) ?? null;
    const rrset = current ?? original;
    if (rrset && JSON.stringify(current) !== JSON.stringify(original)) {
      await withRecovery(run, 'rollback: DNS', () => changeRecord(run, 'rollback', rrset, original));
    }
  }
  run.mxOnHost2 = false;
  if (run.accessCut.length) {
    await withRecovery(run, 'rollback: access', () => restoreAccess(run.spec.access, run.accessCut));
    run.audit.push({ at: new Date().toISOString(), kind: 'access', step: 'restore', users: run.accessCut });
  }
  // Mail re-routed to host2 on host1's MTA reached host2 as if the MX had moved.
  const reroutedToHost2 = Object.values(run.mailHold).some((h) => h.released) || run.relayHold?.released === 'host2';
  await withRecovery(run, 'rollback: mail hold', () => releaseHeldToHost1(run));
  let copiedBack = 0;
  const copyBack = mxWasOnHost2 || reroutedToHost2;
  if (copyBack) {
    // Servers that cached the MX may deliver to host2 for one more low TTL.
    if (mxWasOnHost2) {
      run.enter('rolling back: waiting the low TTL');
      await sleep(run.spec.dns.lowTtl * 1000);
    }
    run.enter('rolling back: copying host2 mail back');
    let users = run.usersOf();
    for (;;) {
      const outcomes = await round(run, 'reverse', { users });
      copiedBack += outcomes.reduce((n, o) => n + o.copied, 0);
      users = outcomes.filter((o) => !o.ok).map((o) => o.mailbox);
      if (!users.length) break;
      await stopAtStepFailed(run, 'rollback: copy back', `copying host2's mail back failed for ${users.join(', ')}`);
    }
  }
  const by = run.gates.rollbackRequested;
  const mailNote = copyBack
    ? `Mail that reached the new server meanwhile (${copiedBack} message(s) in all) was copied back to your mailbox.`
    : 'No mail is lost: it all stayed on your usual mail server.';
  await withRecovery(run, 'notice', () => notifyUsers(run, 'users-rollback', run.usersOf(), { mailNote }));
  await withRecovery(run, 'notice', () =>
    notifyApprovers(run, 'approver-rollback-done', {
      by: by?.by ?? 'the runbook',
      comment: by?.comment ?? '',
      restored:
        `DNS records: ${run.originalRecords.map((r) => `${r.name} ${r.type}`).join(', ') || 'none changed'}; host1 access: ${run.accessCut.length} user(s)` +
        (copyBack ? `; ${copiedBack} message(s) copied back from host2` : ''),
    }),
  );
  return run.report('rolled-back');
}
