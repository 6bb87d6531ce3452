#!/usr/bin/env -S npx tsx
// mailshift: the operator's and approver's command line (`npx mailshift …`, or
// `npm run mailshift -- …`). Each command is a function in scripts/cli/ returning its
// exit code; `main(argv, io)` dispatches, so tests run commands without a process.
//
// Commands:
//   validate <spec>            every problem with its field path (JSON or YAML spec)
//   plan <spec>                preflight logins and folder comparison, DNS records, the steps and timers; changes nothing
//   start <spec> [--id <id>]   validate, then start classicalMigration / luckyMigration
//   status <id>                phase, open gate, paused, next timer, per-wave counts, failing mailboxes first, audit
//   mailbox <id> <user>        one mailbox, however many the migration has
//   approve <id> <gate> --by <name> [--comment …]   the `approve` Update: immediate answer
//   rollback <id> --by <name> --comment <why>       the `rollback` Update
//   pause <id> --by <name> / resume <id> --by <name>  Signals
//   report <id>                wait for the end; the report as Markdown (or --json)
//   dashboard [--port N] [--host H]  a read-only web page of every running migration (scripts/dashboard/)
//   schema [--write-docs]      the spec's JSON Schema; docs/spec.schema.json and docs/spec.md
//   sync …                     the IMAP sync engine on its own (scripts/cli/sync.ts; its own exit codes)
//   help [command]
//
// Exit codes (`sync` has its own: mailshift sync --help):
//   0  ok
//   1  workflow not found, failed, terminated or not a migration; a workflow id already in use;
//      not finished (report --no-wait); any other refusal from Temporal; the dashboard's port is taken
//   2  usage error, or a spec with problems or that Temporal refused (nothing was started);
//      the dashboard on a non-loopback address without MAILSHIFT_DASHBOARD_TOKEN
//   3  refused by the workflow (approval, rollback, pause, resume), with the reason
//   4  cannot reach Temporal (address, TLS, credentials), or no worker answered in time
//
// Connection: Temporal's environment conventions, as the worker (workers/main.ts):
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
// ~/.config/temporalio/temporal.toml; default localhost:7233, namespace default.
// MAILSHIFT_TASK_QUEUE (default mailshift) and MAILSHIFT_UI_URL (default
// http://127.0.0.1:8233, for the links `start` prints).
import { approveCommand, approveHelp, pauseHelp, pauseResumeCommand, rollbackCommand, rollbackHelp } from './cli/control';
import { dashboardCommand, dashboardHelp } from './cli/dashboard';
import { EXIT, processIo, UsageError, type CliIo } from './cli/io';
import { planCommand, planHelp } from './cli/plan';
import { reportCommand, reportHelp } from './cli/report';
import { schemaCommand, schemaHelp } from './cli/schema';
import { startCommand, startHelp } from './cli/start';
import { mailboxCommand, mailboxHelp } from './cli/mailbox';
import { statusCommand, statusHelp } from './cli/status';
import { Unreachable } from './cli/temporal';
import { validateCommand, validateHelp } from './cli/validate';

export type { CliIo } from './cli/io';
export { EXIT } from './cli/io';

export const HELP = `mailshift: move mailboxes from host1 to host2 with imapsync's migration plan, on Temporal.

usage: mailshift <command> [arguments] [--help]

  validate <spec.json|yaml> [--json]          check a spec: every problem with its field path
  plan <spec> [--json]                        what the migration will find and do; changes nothing
  start <spec> [--id <workflowId>] [--json]   validate, then start the migration workflow
  status <workflowId> [--json]                phase, open gate, timers, mailbox progress, audit log
  mailbox <workflowId> <user> [--json]        one mailbox: wave, synced, on host2, last round
  approve <workflowId> <gate> --by <name> [--comment <text>]
                                              approve the open gate (immediate answer)
  rollback <workflowId> --by <name> --comment <why>
                                              roll back before users work on host2
  pause <workflowId> --by <name>              pause before the next step
  resume <workflowId> --by <name>             resume
  report <workflowId> [--json] [--no-wait]    wait for the end, print the report (Markdown or JSON)
  dashboard [--port <n>] [--host <address>]   serve a read-only web page of every running migration
                                              (default 127.0.0.1:8235; another address needs
                                              MAILSHIFT_DASHBOARD_TOKEN)
  schema [--write-docs]                       the spec's JSON Schema (docs/spec.md: the reference)
  sync …                                      run the IMAP sync engine directly (mailshift sync --help;
                                              it has its own exit codes)
  help [command]

exit codes (except sync, see mailshift sync --help):
  0  ok
  1  workflow not found, failed, terminated or not a migration; workflow id already in use; not finished; another Temporal error; the dashboard's port is taken
  2  usage error, or a spec with problems or that Temporal refused (nothing was started); the dashboard off loopback without its token
  3  refused by the workflow (approval, rollback, pause, resume): the reason is printed
  4  cannot reach Temporal (address, TLS, credentials), or no worker answered in time

environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default),
TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE or ~/.config/temporalio/temporal.toml,
as the worker; MAILSHIFT_TASK_QUEUE (mailshift); MAILSHIFT_UI_URL (http://127.0.0.1:8233);
MAILSHIFT_DASHBOARD_TOKEN (dashboard).`;

const PROCESS_IO = processIo();

type Command = (argv: string[], io: CliIo) => Promise<number>;

/** `mailshift sync` belongs to the sync engine's CLI, loaded only when asked for. */
const syncCommand: Command = async (argv, io) => {
  let mod: { syncCommand?: (argv: string[], io?: { out: (t: string) => void; err: (t: string) => void }) => Promise<number> };
  try {
    const modulePath = './cli/sync';
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module, loaded on demand
    mod = require(modulePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((err as Error).message).includes('cli/sync')) throw err;
    io.err('mailshift sync is not available in this version (scripts/cli/sync.ts is missing)');
    return EXIT.usage;
  }
  if (typeof mod.syncCommand !== 'function') {
    io.err('mailshift sync is not available: scripts/cli/sync.ts exports no syncCommand(argv)');
    return EXIT.usage;
  }
  // From the terminal, the sync CLI keeps its own output (progress line on a TTY).
  return io === PROCESS_IO ? mod.syncCommand(argv) : mod.syncCommand(argv, { out: io.out, err: io.err });
};

const COMMANDS: Record<string, { run: Command; help?: string }> = {
  validate: { run: validateCommand, help: validateHelp },
  plan: { run: planCommand, help: planHelp },
  start: { run: startCommand, help: startHelp },
  status: { run: statusCommand, help: statusHelp },
  mailbox: { run: mailboxCommand, help: mailboxHelp },
  approve: { run: approveCommand, help: approveHelp },
  rollback: { run: rollbackCommand, help: rollbackHelp },
  pause: { run: (argv, io) => pauseResumeCommand('pause', argv, io), help: pauseHelp },
  resume: { run: (argv, io) => pauseResumeCommand('resume', argv, io), help: pauseHelp },
  report: { run: reportCommand, help: reportHelp },
  dashboard: { run: dashboardCommand, help: dashboardHelp },
  schema: { run: schemaCommand, help: schemaHelp },
  sync: { run: syncCommand },
};

/** Runs one mailshift command line (without the program name) and returns its exit code. */
export async function main(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    (command ? io.out : io.err)(HELP);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === 'help') {
    const topic = rest[0] ? COMMANDS[rest[0]]?.help : HELP;
    if (!topic) {
      io.err(rest[0] === 'sync' ? 'see: mailshift sync --help' : `unknown command "${rest[0]}"\n\n${HELP}`);
      return rest[0] === 'sync' ? EXIT.ok : EXIT.usage;
    }
    io.out(topic);
    return EXIT.ok;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    io.err(`unknown command "${command}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await entry.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`mailshift ${command}: ${err.message}\n\n${entry.help ?? ''}`.trimEnd());
      return EXIT.usage;
    }
    if (err instanceof Unreachable) {
      io.err(err.message);
      return EXIT.unreachable;
    }
    io.err(`mailshift ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = EXIT.failed;
    },
  );
}
