// The mx-first scenario (the Carbonio roadmap's scenario 1): the MX moves to host2 at the
// migration hour and users get host2 at once, so new mail is there from the start; their
// old mail is back-filled from host1 over the following days, never deleting on either
// side, while host1 stays readable until an approver passes gate `close-old`. No rollback
// once users are on host2. `resume` is only given by the runbook itself when the back-fill
// loop continues-as-new; operators start it with the spec alone.
import { runScenario } from './run-scenario';
import type { RunbookSnapshot } from './snapshot';
import type { MigrationReport } from './status';
import type { MigrationSpec, MigrationSpecInput } from './spec';

export async function mxFirstMigration(spec: MigrationSpecInput | MigrationSpec, resume?: RunbookSnapshot): Promise<MigrationReport> {
  return runScenario(spec, resume, async (run) => {
    const everyone = run.usersOf();
    if (run.before('backfill')) {
      await run.provisionHost2();
      await run.preflight();
      await run.gate('start');
      await run.notifyUsers('users-advance-mx-first', everyone);
      await run.lowerTtl();
      await run.untilMigrationHour();
      await run.gate('switch-mx');
      await run.switchMx();
      await run.waitTtl();
      await run.checkMailFlow();
      await run.handOverToHost2();
    }
    await run.backfillUntilComplete();
    await run.gate('close-old');
    await run.notifyUsers('users-done', everyone);
    await run.restoreTtl();
  });
}
