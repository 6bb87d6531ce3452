// The classical scenario of imapsync's FAQ.Migration_Plan: users get a new host name,
// user and password on host2.
import { runScenario, type MigrationReport } from './runbook';
import type { MigrationSpecInput } from './spec';

export async function classicalMigration(spec: MigrationSpecInput): Promise<MigrationReport> {
  return runScenario(spec, async (run) => {
    await run.preflight();
    await run.gate('start');
    await run.notifyUsers('users-advance', run.spec.mailboxes.map((m) => m.source.user));
    await run.lowerTtl();
    await run.presyncUntilMigrationHour();
    for (const wave of run.waves) {
      await run.gate('cutover', wave);
      await run.cutAccessAndFinalSync(wave);
    }
    await run.gate('switch-mx');
    await run.switchMx();
    await run.waitTtl();
    await run.notifyUsers('users-old-server-gone', run.spec.mailboxes.map((m) => m.source.user));
    await run.postSync();
    await run.handOverToHost2();
    await run.postSyncUntilQuiet();
    await run.notifyUsers('users-done', run.spec.mailboxes.map((m) => m.source.user));
    await run.restoreTtl();
  });
}
