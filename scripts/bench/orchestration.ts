// `npm run bench:orchestration -- --mailboxes 100000`: what the runbook itself costs at
// scale, its activities instant fakes (scripts/bench/fake-worker.ts). A whole classical
// migration of N mailboxes listed in a CSV file (spec field mailboxList) in waves, on a
// Temporal dev server of its own with two worker processes: preflight, gate start, TTL
// lowered, pre-sync until the migration hour (a few minutes ahead: one or two pre-syncs),
// each wave's cut-over and final sync, gate switch-mx, MX switch, post-sync, hand-over,
// gate done (approved as soon as it opens: the post-syncs stop), TTL restored. Real
// time on the dev server: the waits are the fake MX's one-minute TTL and the lowered
// one (30 s). Then every run's history (scripts/bench/orchestration-figures.ts).
// Prints, each against its target: wall time, mailboxes per minute, the largest history,
// the largest payload, the rounds' overhead per mailbox per round, the workers' peak RSS,
// and how long reading and validating the list took.
// With --instant-pages the round and notice pages answer at once too
// (test/workflows/fixtures/instant-pages.ts): the runbook's own cost, at 100,000 in minutes.
// Options: --mailboxes N (default 2000), --waves N (default 3), --concurrency N (default
// 50), --lead S (the migration hour, seconds after the start; default 120), --timeout M
// (minutes, default 60), --keep (leave the directory: the dev server's database, worker logs).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSpec } from '../../activities/spec';
import { atEnd, option, runBench } from './bench-process';
import { driveClassical, failureText } from './drive-migration';
import { initialDns } from './fake-mx';
import { listedSpec, writeMailboxList } from './mailbox-list-file';
import { printMigrationFigures, roundFigures } from './migration-report';
import { migrationRuns, type RunFigures } from './orchestration-figures';
import { largestInTree } from './scale-memory';
import { startTemporal } from './scale-temporal';
import { stuckTask } from './stuck-tasks';

const log = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);
/** How often the operator looks at the status, and (every STUCK_EVERY looks) for a stuck workflow task. */
const LOOK_MS = 1_000;
const STUCK_EVERY = 15;

async function main(argv: string[]): Promise<void> {
  const mailboxes = option(argv, '--mailboxes', 2000);
  const waves = option(argv, '--waves', 3);
  const concurrency = option(argv, '--concurrency', 50);
  const leadMs = option(argv, '--lead', 120) * 1000;
  const timeoutMs = option(argv, '--timeout', 60) * 60_000;
  const keep = argv.includes('--keep');
  if (argv.includes('--instant-pages')) process.env.INSTANT_PAGES = '1';
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-orchestration-'));
  atEnd('bench dir', () => void (keep ? log(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true })));
  log(`bench dir ${dir}`);

  const listFile = path.join(dir, 'mailboxes.csv');
  const users = Array.from({ length: mailboxes }, (_, i) => `user${String(i + 1).padStart(6, '0')}`);
  const list = writeMailboxList(listFile, users, { waves, destinationCredential: (u) => `file:/run/secrets/host2-${u}` });
  log(`${mailboxes} mailboxes in ${list.waves.length} waves (${list.waves.join(', ')}) listed in ${listFile}`);

  process.env.FAKE_DNS_FILE = path.join(dir, 'dns.json');
  writeFileSync(process.env.FAKE_DNS_FILE, initialDns());
  const { client, workers, taskQueue } = await startTemporal({ dir, workers: 2, entry: 'scripts/bench/fake-worker.ts' });
  const spec = listedSpec(listFile, new Date(Date.now() + leadMs), concurrency);
  // What the validateSpec activity does with it, timed here (the worker does it again).
  let t = performance.now();
  const refused = await Promise.resolve()
    .then(async () => void (await loadSpec(spec, new Date())))
    .catch((err: unknown) => (err as Error).message.split('\n').slice(0, 3).join(' '));
  const listValidationMs = performance.now() - t;
  log(`list read and validated in ${secs(listValidationMs)} s${refused ? `: ${refused}` : ''}`);

  const workflowId = `bench-orchestration-${randomUUID().slice(0, 8)}`;
  t = performance.now();
  const handle = await client.workflow.start('classicalMigration', { taskQueue, workflowId, args: [spec] });
  let outcome = 'completed';
  let looks = 0;
  try {
    const report = await driveClassical(handle, {
      waves: list.waves,
      approved: (gate, wave) => log(`${secs(performance.now() - t)} s: approved ${gate}${wave ? ` (${wave})` : ''}`),
      idle: async () => {
        if (performance.now() - t > timeoutMs) throw new Error(`not done after ${timeoutMs / 60_000} minutes`);
        if (++looks % STUCK_EVERY === 0) {
          const stuck = await stuckTask(client, workflowId);
          if (stuck) throw new Error(`stuck: ${stuck}`);
        }
        await new Promise((r) => setTimeout(r, LOOK_MS));
      },
    });
    outcome = report.outcome;
  } catch (err) {
    outcome = failureText(err);
    // Its result, still awaited, ends with it (not with the connection's close).
    await handle.terminate('bench over').catch(() => undefined);
  }
  const wallMs = performance.now() - t;
  log(`${outcome} in ${secs(wallMs)} s; reading every run's history …`);
  const memory = workers.map((w) => largestInTree(w.pid));
  let runs: RunFigures[] = [];
  t = performance.now();
  try {
    runs = await migrationRuns(client, workflowId, handle.firstExecutionRunId);
  } catch (err) {
    log(`histories not read: ${(err as Error).message}`);
  }
  log(`${runs.length} runs read in ${secs(performance.now() - t)} s`);
  printMigrationFigures({
    mailboxes,
    outcome,
    wallMs,
    runs,
    rounds: await roundFigures(client, runs),
    workers: memory.map((m, i) => ({ label: `worker ${i + 1}`, memory: m })),
    fakeActivities: true,
    listValidationMs,
  });
}

runBench('bench:orchestration', main);
