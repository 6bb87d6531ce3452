// `npm run bench:scale`: many small mailboxes through one pre-sync round and one post-sync
// round, with two workers, on servers of its own (a temporary directory, loopback ports).
//   1. two Dovecot instances as the sandbox has them (host1 `INBOX.` prefix with an admin
//      master user, host2 `/` with a password per user, in files the spec refers to);
//   2. host1's mailboxes seeded as Maildir files (scripts/bench/scale-maildir.ts): 3–5
//      messages of 2–10 KB each, one in Sent for every third user;
//   3. a Temporal dev server with a persistent database, and two worker processes
//      (workers/main.ts) on one task queue;
//   4. `mailboxRound` (workflows/mailbox-round.ts) over every mailbox, kind presync; one new
//      message delivered into every fourth INBOX; then kind postsync (INBOX, max age one day,
//      deletes on host1 what is verified on host2), with the pre-sync's states;
//   5. every workflow run in the namespace (continued-as-new runs too) with its history
//      length; each worker's peak RSS (VmHWM of its process tree); every mailbox counted
//      with IMAP STATUS on both servers.
// Prints total time, mailboxes per minute, the largest history and payload, the peak RSS.
// Targets: no run above 10,000 events; worker RSS bounded (reported).
// With --migration, steps 3-5 are instead a whole classical migration of the mailboxes
// (scripts/bench/scale-migration.ts): pre-sync, cut-over, final sync, MX switch, post-sync, hand-over.
// Options: --mailboxes N (default 2000), --concurrency N (the spec's sync.concurrency,
// default 50), --waves N (--migration, default 3), --keep (leave the directory: servers' data, worker logs).
// A script, not a test: figures vary with the machine and what else runs on it.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoSpec } from '../sandbox/demo-spec';
import { startDovecot, stopHard, type DovecotServer, type MailUser } from '../servers/dovecot';
import { parseSpec, type MigrationSpec } from '../../workflows/spec';
import type { RoundInput } from '../../workflows/mailbox-round';
import { withStatesWithinBudget } from '../../workflows/payload-budget';
import { countFolders, pool } from './scale-counts';
import { deliverNew, seedMailbox, type SeededMessage } from './scale-maildir';
import { histories, runRound, startTemporal, type RoundRun, type RunHistory } from './scale-temporal';
import { largestInTree, type Memory } from './scale-memory';
import { atEnd, option, runBench } from './bench-process';
import { migrationBench } from './scale-migration';
import { HISTORY_TARGET, PAYLOAD_TARGET } from './migration-report';
import { orchestrationFigures } from './orchestration-figures';

/** Every NEW_EVERY-th mailbox gets a new message between the two rounds. */
const NEW_EVERY = 4;
/** Parallel IMAP logins when counting the mailboxes at the end. */
const COUNT_CONNECTIONS = 12;

const log = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

// ---- the spec ----------------------------------------------------------------------------------

/** The sandbox's demo spec (classical) against these servers, with `users` as its mailboxes. */
function benchSpec(o: { host1: DovecotServer; host2: DovecotServer; secretsDir: string; users: string[]; concurrency: number }): MigrationSpec {
  const input = demoSpec('classical', new Date(Date.now() + 30 * 86_400_000), {
    host1Port: o.host1.port,
    host2Port: o.host2.port,
    host1Dir: o.host1.dir,
    // DNS and SMTP are not used by mailbox rounds: ports nobody listens on.
    dnsPort: 9,
    tsigKeyFile: path.join(o.secretsDir, 'no-tsig.key'),
    smtpPort: 9,
    secretsDir: o.secretsDir,
  });
  const template = input.mailboxes[0];
  input.mailboxes = o.users.map((user) => ({
    ...template,
    source: { ...template.source, user },
    destination: { ...template.destination, user, credential: `file:${path.join(o.secretsDir, `host2-${user}`)}` },
    wave: 'everyone',
    contact: `${user}@home.example.test`,
  }));
  input.sync = { ...input.sync, concurrency: o.concurrency };
  return parseSpec(input, new Date());
}

// ---- the run -------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  const runStarted = performance.now();
  const mailboxes = option(argv, '--mailboxes', 2000);
  const concurrency = option(argv, '--concurrency', 50);
  const keep = argv.includes('--keep');
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-scale-'));
  // Dovecot's login and mail processes run as other users: they must traverse it.
  chmodSync(dir, 0o755);
  atEnd('bench dir', () => {
    if (keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  log(`bench dir ${dir}`);

  // Users and their passwords; the spec refers to files holding them.
  const secretsDir = path.join(dir, 'secrets');
  mkdirSync(secretsDir, { mode: 0o700 });
  const width = String(mailboxes).length;
  const users = Array.from({ length: mailboxes }, (_, i) => `user${String(i + 1).padStart(Math.max(4, width), '0')}`);
  const secret = () => randomBytes(9).toString('base64url');
  const admin = secret();
  writeFileSync(path.join(secretsDir, 'host1-admin'), `${admin}\n`, { mode: 0o600 });
  const host1Users: MailUser[] = users.map((user) => ({ user, password: secret() }));
  const host2Users: MailUser[] = users.map((user) => ({ user, password: secret() }));
  for (const u of host2Users) writeFileSync(path.join(secretsDir, `host2-${u.user}`), `${u.password}\n`, { mode: 0o600 });
  const host2Password = new Map(host2Users.map((u) => [u.user, u.password]));

  let t = performance.now();
  const host1 = await startDovecot({
    name: 'host1',
    dir: path.join(dir, 'host1'),
    layout: 'inbox-prefix-dot',
    users: host1Users,
    masters: [{ user: 'admin', password: admin }],
  });
  atEnd('host1', async () => void (await stopHard(host1)));
  const host2 = await startDovecot({ name: 'host2', dir: path.join(dir, 'host2'), layout: 'slash-no-prefix', users: host2Users });
  atEnd('host2', async () => void (await stopHard(host2)));
  log(`Dovecot host1 :${host1.port}, host2 :${host2.port} (${mailboxes} users each) in ${secs(performance.now() - t)} s`);

  t = performance.now();
  const seeded = new Map<string, SeededMessage[]>();
  users.forEach((user, index) => seeded.set(user, seedMailbox({ serverDir: host1.dir, user, index })));
  const initial = [...seeded.values()].flat();
  log(`seeded host1 (Maildir files): ${initial.length} messages, ${f1(initial.reduce((n, m) => n + m.bytes, 0) / 1e6)} MB in ${secs(performance.now() - t)} s`);

  if (argv.includes('--migration')) {
    const waves = option(argv, '--waves', 3);
    return migrationBench({ dir, host1, host2, secretsDir, users, seeded, host2Password, concurrency, waves });
  }
  const { client, workers, taskQueue } = await startTemporal({ dir, workers: 2 });

  const spec = benchSpec({ host1, host2, secretsDir, users, concurrency });
  log(`spec: ${mailboxes} mailboxes, ${f1(JSON.stringify(spec).length / 1024)} KB as JSON`);
  // Memory of each worker idle (polling, workflow bundle loaded), after the pre-sync, after the post-sync.
  const measure = () => workers.map((w) => largestInTree(w.pid) ?? { pid: w.pid, name: '?', peakMb: NaN, rssMb: NaN });
  const peakAfter: Memory[][] = [measure()];

  const presync = await runRound(client, taskQueue, { spec, kind: 'presync', mailboxes: users, usersOnHost2: [], mxOnHost2: false });
  peakAfter.push(measure());

  // New mail between the rounds, as it keeps arriving on host1 until the MX moves.
  const arrived = new Map<string, SeededMessage[]>();
  users.forEach((user, index) => {
    if (index % NEW_EVERY === 0) arrived.set(user, [deliverNew({ serverDir: host1.dir, user, index, n: 0 })]);
  });
  log(`delivered ${arrived.size} new messages into host1 INBOXes`);

  const states = Object.fromEntries(presync.outcomes.flatMap((o) => (o.state ? [[o.mailbox, o.state]] : [])));
  // As the runbook hands them: as many states as fit the payload budget.
  const postsync = await runRound(
    client,
    taskQueue,
    withStatesWithinBudget<RoundInput>({ spec, kind: 'postsync', mailboxes: users, usersOnHost2: [], mxOnHost2: false }, states),
  );
  peakAfter.push(measure());

  log('histories …');
  const runs = await histories(client, [presync.workflowId, postsync.workflowId]);
  const largest = runs.reduce<RunHistory | undefined>((a, r) => (!a || r.events > a.events ? r : a), undefined);

  log(`counting every mailbox on both servers (IMAP STATUS, ${COUNT_CONNECTIONS} connections at a time) …`);
  t = performance.now();
  const counts = await pool(users, COUNT_CONNECTIONS, async (user) => ({
    user,
    host1: await countFolders(host1, `${user}*admin`, admin),
    host2: await countFolders(host2, user, host2Password.get(user)!),
  }));
  const countMs = performance.now() - t;

  // host2 must hold every message host1 had: the seeded ones and the new ones.
  const expected = (user: string, folder: 'INBOX' | 'Sent') => [...seeded.get(user)!, ...(arrived.get(user) ?? [])].filter((m) => m.folder === folder).length;
  const short = counts.filter((c) => c.host2.INBOX < expected(c.user, 'INBOX') || c.host2.Sent < expected(c.user, 'Sent'));
  const extra = counts.filter((c) => c.host2.INBOX > expected(c.user, 'INBOX') || c.host2.Sent > expected(c.user, 'Sent'));
  const onHost2 = counts.reduce((n, c) => n + c.host2.INBOX + c.host2.Sent, 0);
  const onHost1 = counts.reduce((n, c) => n + c.host1.INBOX + c.host1.Sent, 0);
  // What the post-sync may delete on host1: INBOX messages of the last day (verified on host2).
  const dayAgo = Date.now() - 86_400_000;
  const inWindow = [...seeded.values(), ...arrived.values()].flat().filter((m) => m.folder === 'INBOX' && m.date >= dayAgo).length;
  const total = initial.length + arrived.size;

  // ---- the figures ----
  const failed = (r: RoundRun) => r.outcomes.filter((o) => !o.ok);
  const sum = (r: RoundRun, k: 'copied' | 'deleted') => r.outcomes.reduce((n, o) => n + o[k], 0);
  const runsOf = (r: RoundRun) => runs.filter((x) => x.workflowId === r.workflowId);
  const roundsMs = presync.wallMs + postsync.wallMs;
  const perMin = (n: number, ms: number) => f1(n / (ms / 60_000));
  const row = (k: string, v: string) => log(`${k.padEnd(34)} ${v}`);
  log('');
  row('mailboxes', `${mailboxes} (sync.concurrency ${concurrency}, 2 worker processes)`);
  row('messages on host1 before pre-sync', `${initial.length} (${f1(initial.reduce((n, m) => n + m.bytes, 0) / 1e6)} MB)`);
  row('new before post-sync', `${arrived.size} (one in every ${NEW_EVERY}th INBOX)`);
  for (const r of [presync, postsync]) {
    const rs = runsOf(r);
    row(
      `${r.kind} round wall time`,
      `${secs(r.wallMs)} s  (${perMin(mailboxes, r.wallMs)} mailboxes/min; copied ${sum(r, 'copied')}, deleted ${sum(r, 'deleted')}; ` +
        `${rs.length} run(s), largest ${Math.max(...rs.map((x) => x.events))} events; failed ${failed(r).length})`,
    );
  }
  row('total (both rounds)', `${secs(roundsMs)} s  (${perMin(2 * mailboxes, roundsMs)} mailbox syncs/min)`);
  for (const r of [presync, postsync])
    row(
      `${r.kind} runs (events / KB)`,
      runsOf(r)
        .sort((a, b) => a.runId.localeCompare(b.runId))
        .map((x) => `${x.events} / ${Math.round(x.bytes / 1024)}`)
        .join(', '),
    );
  row(
    'largest history of any run',
    largest
      ? `${largest.events} events, ${f1(largest.bytes / 1024)} KB (${largest.workflowId} run ${largest.runId}, ${largest.status}) of ${runs.length} runs`
      : 'n/a',
  );
  row(`history target ≤ ${HISTORY_TARGET.toLocaleString('en')} events`, largest && largest.events <= HISTORY_TARGET ? 'met' : 'NOT MET');
  const payload = runs.length ? orchestrationFigures(runs).largestPayload : undefined;
  row(
    'largest payload of any run',
    payload
      ? `${f1(payload.bytes / 1024)} KB (${payload.event} #${payload.eventId} of ${payload.workflowId}); target ≤ ${PAYLOAD_TARGET / 1e6} MB ${payload.bytes <= PAYLOAD_TARGET ? 'met' : 'NOT MET'}`
      : 'n/a',
  );
  workers.forEach((w, i) =>
    row(
      `worker ${i + 1} peak RSS (VmHWM)`,
      `${f1(peakAfter[2][i].peakMb)} MB (idle before the rounds ${f1(peakAfter[0][i].rssMb)} MB; peak by the end of the pre-sync ${f1(peakAfter[1][i].peakMb)} MB; ` +
        `RSS at the end ${f1(peakAfter[2][i].rssMb)} MB; ${peakAfter[2][i].name} pid ${peakAfter[2][i].pid} of worker ${w.pid})`,
    ),
  );
  row('failed mailboxes', `pre-sync ${failed(presync).length}, post-sync ${failed(postsync).length}`);
  for (const r of [presync, postsync]) {
    const d = runsOf(r)
      .flatMap((x) => x.activitySeconds)
      .sort((a, b) => a - b);
    const q = (p: number) => f1(d[Math.min(d.length - 1, Math.floor(p * d.length))]);
    const failures = runsOf(r).flatMap((x) => x.activityFailures);
    row(
      `${r.kind} syncMailbox activities`,
      `${d.length}; scheduled→completed median ${q(0.5)} s, p95 ${q(0.95)} s, max ${q(1)} s; failed attempts ${failures.length}`,
    );
    const reasons = failures.map((f) => f.replace(/user\d+/g, 'userN')).reduce((m, f) => m.set(f, (m.get(f) ?? 0) + 1), new Map<string, number>());
    for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)) log(`  ${n}× ${reason}`);
  }
  row(
    'host2 verified (STATUS, all mailboxes)',
    `${onHost2}/${total} messages; ${mailboxes - short.length - extra.length}/${mailboxes} mailboxes exact; ${short.length} short, ${extra.length} with more (${secs(countMs)} s)`,
  );
  row('host1 after post-sync', `${onHost1} messages left (${total} − ${inWindow} in the one-day window = ${total - inWindow} if all those were deleted)`);
  row('whole benchmark', `${secs(performance.now() - runStarted)} s (set-up, seeding, rounds, counting)`);
  for (const r of [presync, postsync]) for (const o of failed(r).slice(0, 10)) log(`  ${r.kind} failed ${o.mailbox}: ${o.error}`);
  for (const c of [...short, ...extra].slice(0, 10))
    log(`  ${c.user}: host2 INBOX ${c.host2.INBOX}/${expected(c.user, 'INBOX')}, Sent ${c.host2.Sent}/${expected(c.user, 'Sent')}`);
}

runBench('bench:scale', main);
