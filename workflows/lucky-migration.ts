// The lucky scenario of imapsync's FAQ.Migration_Plan: same host name, user and password
// on host2. Syncs go by address; at the end the IMAP host name itself moves to host2.
// `resume` is only given by the runbook itself when a long loop continues-as-new.
import { runScenario } from './run-scenario';
import type { RunbookSnapshot } from './snapshot';
import type { MigrationReport } from './status';
import type { MigrationSpec, MigrationSpecInput } from './spec';

export async function luckyMigration(spec: MigrationSpecInput | MigrationSpec, resume?: RunbookSnapshot): Promise<MigrationReport> {
  return runScenario(spec, resume, async (run) => {
    const imap = run.spec.dns.imapHost!;
    const everyone = run.usersOf();
    if (run.before('presync')) {
      await run.provisionHost2();
      await run.preflight();
      await run.gate('start');
      await run.notifyUsers('users-advance-lucky', everyone);
      await run.lowerTtl();
    }
    if (run.before('postsync')) {
      if (run.before('cutover')) await run.presyncUntilMigrationHour();
      await run.gate('cutover');
      if (run.spec.access.method === 'dns') {
        await run.pointImapHost('park the IMAP host name', imap.parkedAddresses!);
        // Until caches drop host1's address, clients still reach it: no final sync before that.
        await run.waitTtl();
      }
      for (const wave of run.waves) await run.cutAccessAndFinalSync(wave);
      await run.verifyFinalSync();
      await run.gate('switch-mx');
      await run.switchMx();
      await run.waitTtl();
      await run.checkMailFlow();
      await run.postSync();
      await run.gate('shutdown-old');
      await run.pointImapHost('move the IMAP host name to host2', imap.host2Addresses);
      await run.handOverToHost2();
    }
    await run.postSyncUntilQuiet();
    await run.notifyUsers('users-done', everyone);
    await run.restoreTtl();
  });
}
