// `npm run bench:scale -- --migration`: the whole classical migration of the seeded
// mailboxes with the real activities and two worker processes (workers/main.ts), on the
// servers scale.ts started plus the sandbox's others: Knot serving the demo zone (its MX
// TTL a minute, so that the waits on a dev server, which does not skip time, are short)
// taking the runbook's TSIG updates, and an SMTP receiver for the notices. The mailboxes
// are listed in a CSV file (spec field mailboxList) in waves; users are cut from host1 by
// its Dovecot deny list, as in the sandbox. No canary (no MX hosts): the MX record moves.
// Then every run's history (orchestration-figures.ts) and every mailbox counted on host2.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { demoZoneRecords } from '../sandbox/layout';
import type { DovecotServer } from '../servers/dovecot';
import { startKnot } from '../servers/knot';
import { startSmtpReceiver } from '../servers/smtp';
import { atEnd } from './bench-process';
import { driveClassical, failureText } from './drive-migration';
import { listedSpec, writeMailboxList } from './mailbox-list-file';
import { printMigrationFigures, roundFigures } from './migration-report';
import { migrationRuns } from './orchestration-figures';
import { countFolders, pool } from './scale-counts';
import { largestInTree } from './scale-memory';
import type { SeededMessage } from './scale-maildir';
import { startTemporal } from './scale-temporal';

const log = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);
/** Parallel IMAP logins when counting the mailboxes at the end. */
const COUNT_CONNECTIONS = 12;
/** The migration hour: after preflight, gate start, the TTL wait and one pre-sync (seconds per mailbox, at least). */
const leadMs = (mailboxes: number) => Math.max(180_000, mailboxes * 60);

export interface MigrationBench {
  dir: string;
  host1: DovecotServer;
  host2: DovecotServer;
  secretsDir: string;
  users: string[];
  seeded: Map<string, SeededMessage[]>;
  host2Password: Map<string, string>;
  concurrency: number;
  waves: number;
}

export async function migrationBench(b: MigrationBench): Promise<void> {
  const knot = await startKnot({ dir: path.join(b.dir, 'dns'), zone: 'example.test', records: demoZoneRecords.replace('@ 600 IN MX', '@ 60 IN MX') });
  atEnd('Knot', () => knot.stop());
  const smtp = await startSmtpReceiver();
  atEnd('SMTP receiver', () => smtp.close());
  const listFile = path.join(b.dir, 'mailboxes.csv');
  const list = writeMailboxList(listFile, b.users, { waves: b.waves, destinationCredential: (u) => `file:${path.join(b.secretsDir, `host2-${u}`)}` });
  log(`${b.users.length} mailboxes in ${list.waves.length} waves listed in ${listFile}; Knot :${knot.port}, SMTP :${smtp.port}`);

  const { client, workers, taskQueue } = await startTemporal({ dir: b.dir, workers: 2 });
  const servers = {
    host1Port: b.host1.port,
    host2Port: b.host2.port,
    host1Dir: b.host1.dir,
    dnsPort: knot.port,
    tsigKeyFile: knot.keyFile,
    smtpPort: smtp.port,
    secretsDir: b.secretsDir,
  };
  const spec = listedSpec(listFile, new Date(Date.now() + leadMs(b.users.length)), b.concurrency, servers);
  const workflowId = `bench-migration-${randomUUID().slice(0, 8)}`;
  const t = performance.now();
  const handle = await client.workflow.start('classicalMigration', { taskQueue, workflowId, args: [spec] });
  let outcome: string;
  try {
    outcome = (
      await driveClassical(handle, {
        waves: list.waves,
        approved: (gate, wave) => log(`${secs(performance.now() - t)} s: approved ${gate}${wave ? ` (${wave})` : ''}`),
        idle: () => new Promise((r) => setTimeout(r, 2_000)),
      })
    ).outcome;
  } catch (err) {
    outcome = failureText(err);
    await handle.terminate('bench over').catch(() => undefined);
  }
  const wallMs = performance.now() - t;
  log(`${outcome} in ${secs(wallMs)} s; reading every run's history …`);
  const memory = workers.map((w) => largestInTree(w.pid));
  const runs = await migrationRuns(client, workflowId, handle.firstExecutionRunId);
  printMigrationFigures({
    mailboxes: b.users.length,
    outcome,
    wallMs,
    runs,
    rounds: await roundFigures(client, runs),
    workers: memory.map((m, i) => ({ label: `worker ${i + 1}`, memory: m })),
    fakeActivities: false,
  });

  // host2 must hold every message host1 had.
  const counts = await pool(b.users, COUNT_CONNECTIONS, async (user) => ({ user, host2: await countFolders(b.host2, user, b.host2Password.get(user)!) }));
  const expected = (user: string, folder: 'INBOX' | 'Sent') => b.seeded.get(user)!.filter((m) => m.folder === folder).length;
  const exact = counts.filter((c) => c.host2.INBOX === expected(c.user, 'INBOX') && c.host2.Sent === expected(c.user, 'Sent'));
  log(`${'host2 verified (STATUS, all mailboxes)'.padEnd(40)} ${exact.length}/${b.users.length} mailboxes exact`);
  log(`${'notices received by the SMTP receiver'.padEnd(40)} ${smtp.received.length}`);
}
