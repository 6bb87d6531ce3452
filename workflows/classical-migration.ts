// The classical scenario of imapsync's FAQ.Migration_Plan: users get a new host name,
// user and password on host2. `resume` is only given by the runbook itself when a long
// loop continues-as-new; operators start it with the spec alone.
import { runScenario } from './run-scenario';
import type { RunbookSnapshot } from './snapshot';
import type { MigrationReport } from './status';
import type { MigrationSpec, MigrationSpecInput } from './spec';

export async function classicalMigration(spec: MigrationSpecInput | MigrationSpec, resume?: RunbookSnapshot): Promise<MigrationReport> {
  return runScenario(spec, resume, async (run) => {
    const everyone = run.usersOf();
    if (run.before('presync')) {
      await run.provisionHost2();
      await run.preflight();
      await run.gate('start');
      await run.notifyUsers('users-advance', everyone);
      await run.lowerTtl();
    }
    if (run.before('postsync')) {
      if (run.before('cutover')) await run.presyncUntilMigrationHour();
      for (const wave of run.waves) {
        if (run.finalSyncRan(wave)) continue; // by the run this one continues
        await run.gate('cutover', wave);
        await run.cutAccessAndFinalSync(wave);
        // Each wave's pages (access, final sync, notices) may fill a run's history: the next wave in a fresh one.
        await run.continueAsNewIfLong('cutover');
      }
      await run.verifyFinalSync();
      await run.gate('switch-mx');
      await run.switchMx();
      await run.waitTtl();
      await run.checkMailFlow();
      await run.postSync();
      await run.handOverToHost2();
      // After their new settings, which it points them to.
      await run.notifyUsers('users-old-server-gone', everyone);
    }
    await run.postSyncUntilQuiet();
    await run.notifyUsers('users-done', everyone);
    await run.restoreTtl();
  });
}
