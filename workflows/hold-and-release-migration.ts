// The hold-and-release scenario (Carbonio's migration plan, scenario 2): at cut-over the MX
// moves to a holding relay that keeps all mail for the domain; every mailbox then gets its
// final sync, verified; the held mail is released to host2, the MX follows, and users get
// host2 with all their mail at once. Nothing reaches host1 after the final sync, so no
// post-syncs. `resume` is only given by the runbook itself when a long loop continues-as-new.
import { runScenario } from './run-scenario';
import type { RunbookSnapshot } from './snapshot';
import type { MigrationReport } from './status';
import type { MigrationSpec, MigrationSpecInput } from './spec';

export async function holdAndReleaseMigration(spec: MigrationSpecInput | MigrationSpec, resume?: RunbookSnapshot): Promise<MigrationReport> {
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
      await run.gate('cutover');
      for (const wave of run.waves) await run.cutAccess(wave);
      // The relay holds before the MX names it: no message finds it delivering.
      await run.holdOnRelay();
      await run.pointMxToHoldingRelay();
      // Until caches drop the old MX, mail still reaches host1: the final sync comes after.
      await run.waitTtl();
      await run.waitForHost1Queue();
      for (const wave of run.waves) await run.finalSyncOfWave(wave);
      await run.verifyFinalSync();
      await run.releaseRelayToHost2();
      await run.switchMx();
      await run.waitTtl();
      await run.checkMailFlow();
      await run.handOverToHost2();
      await run.notifyUsers('users-old-server-gone', everyone);
      await run.checkRelayEmpty();
    }
    await run.notifyUsers('users-done', everyone);
    await run.restoreTtl();
  });
}
