// `npm start`: the local sandbox. Starts (or reuses, when already running) the Temporal
// dev server with its Web UI, host1 and host2 Dovecot with demo mailboxes, Knot serving
// the demo zone, the MX hosts' Postfix (mx1 → host1, mx2 → host2), and an SMTP receiver
// for the notices; then runs the worker in the foreground.
// Ctrl-C stops the worker and what this run started; `npm run sandbox:stop` stops all.
// The read-only migration dashboard (`mailshift dashboard`) runs in this process.
// With MAILSHIFT_CODEC_KEY set, payloads are encrypted and this run also serves the codec
// server the Web UI decodes them with (scripts/codec-server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDovecot } from './servers/dovecot';
import { startKnot } from './servers/knot';
import { startMxPair } from './servers/mx-pair';
import { privateDir, writeSecretFile } from './servers/private-files';
import { isAlive, readPid, stopPid, waitFor } from './servers/process';
import { devServerAnswers, startDevServer } from './servers/temporal-dev';
import { demoUsers, seedDemoMailbox } from './sandbox/demo-mailboxes';
import { demoZoneRecords, mxAddresses, sandbox, type SandboxState } from './sandbox/layout';
import { projectRoot } from './tools';
import { demoSpec } from './sandbox/demo-spec';
import { migrationSummary } from './cli/summary';
import { TASK_QUEUE } from '../workflows/task-queue';
import { connect } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { codecFromEnv } from '../workers/codec';
import { DEFAULT_CODEC_PORT, startCodecServer } from './codec-server';
import { processIo } from './cli/io';
import { uiLink } from './cli/start';
import { connect as connectTemporal } from './cli/temporal';
import { DEFAULT_DASHBOARD_PORT, startDashboard } from './dashboard/server';

const started: (() => Promise<void>)[] = [];

function readState(): SandboxState {
  return existsSync(sandbox.stateFile) ? (JSON.parse(readFileSync(sandbox.stateFile, 'utf8')) as SandboxState) : {};
}
function saveState(state: SandboxState): void {
  writeFileSync(sandbox.stateFile, JSON.stringify(state, null, 2));
}
const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** A demo password per user and side, kept in .sandbox/secrets (mode 0600, the directory 0700). */
function demoSecret(name: string): { file: string; value: string } {
  privateDir(sandbox.secretsDir);
  const file = path.join(sandbox.secretsDir, name);
  if (!existsSync(file)) writeSecretFile(file, randomBytes(12).toString('base64url'));
  return { file, value: readFileSync(file, 'utf8').trim() };
}

/** The codec server for the Web UI (in this process), or the one another `npm start` serves. */
async function ensureCodecServer(codec: PayloadCodec): Promise<string> {
  const port = Number(process.env.MAILSHIFT_CODEC_PORT ?? DEFAULT_CODEC_PORT);
  const url = `http://127.0.0.1:${port}`;
  if (await portOpen(port)) {
    console.log(`Codec server: reusing ${url} (it must hold the same MAILSHIFT_CODEC_KEY)`);
    return url;
  }
  // The dev server prints its UI as localhost; the README says 127.0.0.1: both are the UI.
  const ui = process.env.MAILSHIFT_UI_URL ?? `http://127.0.0.1:${sandbox.temporal.uiPort},http://localhost:${sandbox.temporal.uiPort}`;
  const uiOrigin = ui
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const server = await startCodecServer({ port, uiOrigin, codec });
  started.push(() => server.close());
  console.log(`Codec server: ${server.url}, for the Web UI at ${uiOrigin.join(', ')}`);
  return server.url;
}

/** The codec endpoint a running dev server's UI was started with (its settings API), when it says. */
async function uiCodecEndpoint(): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${sandbox.temporal.uiPort}/api/v1/settings`, { signal: AbortSignal.timeout(2000) });
    const settings = (await res.json()) as { Codec?: { Endpoint?: string } };
    return settings.Codec?.Endpoint ?? '';
  } catch {
    return undefined;
  }
}

async function ensureTemporal(state: SandboxState, codecEndpoint?: string): Promise<void> {
  const { port, uiPort, dbFile, logFile } = sandbox.temporal;
  if (await devServerAnswers(`127.0.0.1:${port}`)) {
    console.log(`Temporal dev server: reusing 127.0.0.1:${port}`);
    const current = codecEndpoint && (await uiCodecEndpoint());
    if (codecEndpoint && current !== undefined && current !== codecEndpoint) {
      console.log(
        `  its Web UI was started without the codec endpoint ${codecEndpoint} (it has "${current}"): it shows encrypted payloads. ` +
          'Run `npm run sandbox:stop` and `npm start` again, or set the endpoint in the UI (Codec Server, top right).',
      );
    }
    return;
  }
  state.temporal = await startDevServer({ port, uiPort, dbFile, logFile, uiCodecEndpoint: codecEndpoint });
  started.push(() => stopPid(state.temporal));
  console.log(`Temporal dev server: started on 127.0.0.1:${port} (db ${path.relative(projectRoot, dbFile)})`);
}

/** The dashboard on loopback (in this process), or the one another `npm start` serves. */
async function ensureDashboard(): Promise<string> {
  const port = DEFAULT_DASHBOARD_PORT;
  if (await portOpen(port)) return `http://127.0.0.1:${port}/ (reused)`;
  const env = {
    MAILSHIFT_UI_URL: `http://127.0.0.1:${sandbox.temporal.uiPort}`,
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${sandbox.temporal.port}`,
    TEMPORAL_NAMESPACE: 'default',
  };
  const io = { ...processIo(), env };
  const temporal = await connectTemporal(io);
  const dashboard = await startDashboard({ temporal, port, uiLink: (id) => uiLink(io, temporal.namespace, id) });
  started.push(async () => {
    await dashboard.close();
    await temporal.close();
  });
  return dashboard.url;
}

async function ensureDovecot(side: 'host1' | 'host2'): Promise<void> {
  const { port, lmtpPort, dir } = sandbox[side];
  const pid = readPid(path.join(dir, 'run', 'master.pid'));
  if (pid && isAlive(pid) && (await portOpen(port)) && (await portOpen(lmtpPort))) return console.log(`${side} Dovecot: reusing 127.0.0.1:${port}`);
  await stopPid(pid); // one an earlier sandbox started without LMTP
  const users = demoUsers.map((user) => ({ user, password: demoSecret(`${side}-${user}`).value }));
  const layout = side === 'host1' ? 'inbox-prefix-dot' : 'slash-no-prefix';
  // mailshift reaches host1 as its admin (master user): users get locked out at cut-over.
  const masters = side === 'host1' ? [{ user: 'admin', password: demoSecret('host1-admin').value }] : [];
  const server = await startDovecot({ name: `sandbox-${side}`, dir, layout, users, masters, port, lmtp: lmtpPort });
  started.push(() => server.stop());
  const seeded = path.join(dir, 'seeded');
  if (side === 'host1' && !existsSync(seeded)) {
    let count = 0;
    for (const u of users) count += await seedDemoMailbox(server, u.user, u.password);
    writeFileSync(seeded, new Date().toISOString());
    console.log(`host1 Dovecot: seeded ${count} demo messages for ${demoUsers.join(', ')}`);
  }
  console.log(`${side} Dovecot: started on 127.0.0.1:${port} (${layout}), LMTP on ${lmtpPort}`);
}

/** The MX hosts' Postfix, (re)started with this version's config: it starts in a fraction of a second. */
async function ensureMx(): Promise<void> {
  const { port, dir } = sandbox.mx;
  const mx = await startMxPair({
    dir,
    port,
    domains: [sandbox.dns.zone],
    mx1: { address: mxAddresses.mail1, lmtpPort: sandbox.host1.lmtpPort },
    mx2: { address: mxAddresses.mail2, lmtpPort: sandbox.host2.lmtpPort },
  });
  started.push(() => mx.stop());
  const rel = (file: string) => path.relative(projectRoot, file);
  console.log(
    `Postfix: mx1 on ${mxAddresses.mail1}:${port} delivers to host1, mx2 on ${mxAddresses.mail2}:${port} to host2 (logs ${rel(mx.mx1.logFile)}, ${rel(mx.mx2.logFile)})`,
  );
}

async function ensureDns(state: SandboxState): Promise<void> {
  const { port, dir, zone } = sandbox.dns;
  if (state.dns && isAlive(state.dns) && (await portOpen(port))) return console.log(`Knot DNS: reusing 127.0.0.1:${port}`);
  const knot = await startKnot({ dir, zone, records: demoZoneRecords, port });
  state.dns = knot.pid;
  started.push(() => knot.stop());
  console.log(`Knot DNS: zone ${zone} on 127.0.0.1:${port}, TSIG key in ${path.relative(projectRoot, knot.keyFile)}`);
}

async function ensureSmtp(state: SandboxState): Promise<void> {
  const { port, outbox, logFile } = sandbox.smtp;
  if (state.smtp && isAlive(state.smtp) && (await portOpen(port))) return console.log(`SMTP receiver: reusing 127.0.0.1:${port}`);
  const log = openSync(logFile, 'a');
  const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [path.join(__dirname, 'sandbox', 'smtp-receiver.ts'), String(port), outbox], {
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  state.smtp = child.pid;
  started.push(() => stopPid(state.smtp));
  await waitFor('the SMTP receiver', () => portOpen(port));
  console.log(`SMTP receiver: 127.0.0.1:${port}, notices saved in ${path.relative(projectRoot, outbox)}/`);
}

/** What to paste into the UI's Start Workflow form (also saved in .sandbox/). */
function printStartForm(dashboard: string): void {
  const ui = `http://127.0.0.1:${sandbox.temporal.uiPort}`;
  // The migration hour 25 minutes ahead: the TTL wait (10 min), a pre-sync or two, then
  // the cut-over gate. Time skips nowhere here: this is a real run.
  const migrationAt = new Date(Date.now() + 25 * 60_000);
  const spec = demoSpec('classical', migrationAt);
  const specFile = path.join(sandbox.dir, 'demo-classical.json');
  writeFileSync(specFile, JSON.stringify(spec, null, 2));
  writeFileSync(path.join(sandbox.dir, 'demo-lucky.json'), JSON.stringify(demoSpec('lucky', migrationAt), null, 2));
  const workflowId = `sandbox-classical-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
  const link = `${ui}/namespaces/default/workflows/start-workflow?workflowType=classicalMigration&taskQueue=${TASK_QUEUE}&workflowId=${workflowId}`;
  console.log(`
Temporal Web UI: ${ui}
Dashboard:       ${dashboard}   (read-only: every running migration, from its status)

Start a migration: open ${link}
  Workflow Type: classicalMigration   Task Queue: ${TASK_QUEUE}   Workflow ID: ${workflowId}
  Input (JSON, also in ${path.relative(projectRoot, specFile)}):
${JSON.stringify(spec)}
  Summary (More options → Summary): ${migrationSummary(spec)}

Approve a gate from the workflow's page: Send a Signal, name "approve", input {"gate":"start","by":"operator"}.

Mail flow: the MX of ${sandbox.dns.zone} is what Knot answers (dig +short -p ${sandbox.dns.port} @127.0.0.1 ${sandbox.dns.zone} MX):
mail1 (${mxAddresses.mail1}, Postfix mx1 → host1) until the migration switches it to mail2 (${mxAddresses.mail2}, mx2 → host2).
Send a demo user a message through an MX host, and it lands in that host's INBOX:
  printf 'Subject: hello\\r\\n\\r\\nHi Alice\\r\\n' | curl -sS smtp://${mxAddresses.mail1}:${sandbox.mx.port} --mail-from you@example.org --mail-rcpt alice@${sandbox.dns.zone} -T -
After the MX switch the runbook sends its own canary to alice@${sandbox.dns.zone} and waits for it on host2.
Notices arrive in ${path.relative(projectRoot, sandbox.smtp.outbox)}/. The worker polls "${TASK_QUEUE}"; Ctrl-C stops it and what this run started.
`);
}

function runWorker(): ChildProcess {
  // As `npm run worker` runs it: tsx's CommonJS hook only (its ESM loader thread costs ~30 MB).
  return spawn(process.execPath, ['--require', 'tsx/cjs', path.join(projectRoot, 'workers', 'main.ts')], {
    cwd: projectRoot,
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${sandbox.temporal.port}`, TEMPORAL_NAMESPACE: 'default' },
  });
}

async function main(): Promise<void> {
  mkdirSync(sandbox.dir, { recursive: true });
  const state = readState();
  // A bad key stops here, before anything starts.
  const codec = codecFromEnv();
  const codecEndpoint = codec && (await ensureCodecServer(codec));
  await ensureTemporal(state, codecEndpoint);
  saveState(state);
  await ensureDovecot('host1');
  await ensureDovecot('host2');
  await ensureDns(state);
  saveState(state);
  await ensureMx();
  await ensureSmtp(state);
  saveState(state);
  const dashboard = await ensureDashboard();

  printStartForm(dashboard);
  if (codecEndpoint) {
    console.log(
      `Payloads are encrypted (MAILSHIFT_CODEC_KEY, key id "${process.env.MAILSHIFT_CODEC_KEY_ID?.trim() || 'default'}"): ` +
        `the Web UI decodes them through the codec server ${codecEndpoint}. Export the same MAILSHIFT_CODEC_* variables for \`npx mailshift\`.\n`,
    );
  }

  const worker = runWorker();
  state.worker = worker.pid;
  saveState(state);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (worker.exitCode === null) await new Promise((r) => worker.once('exit', r));
    for (const s of started.reverse()) await s().catch((e: unknown) => console.error(e));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => {
    worker.kill('SIGTERM');
    void stop();
  });
  worker.once('exit', (code) => {
    if (!stopping) console.error(`the worker exited (code ${code})`);
    void stop();
  });
}

main().catch(async (err: unknown) => {
  console.error(err);
  for (const s of started.reverse()) await s().catch(() => undefined);
  process.exit(1);
});
