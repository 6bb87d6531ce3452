// `mailshift dashboard`: serves the read-only migration dashboard (scripts/dashboard/)
// until Ctrl-C, reading Temporal with the CLI's connection (temporal.ts).
import { bindRefusal, TOKEN_ENV } from '../dashboard/access';
import { DEFAULT_DASHBOARD_PORT, startDashboard } from '../dashboard/server';
import { EXIT, parse, UsageError, type CliIo } from './io';
import { uiLink } from './start';
import { connect } from './temporal';

export const dashboardHelp = `mailshift dashboard [--port <n>] [--host <address>]

Serves a read-only web page of every running migration, beside the Temporal Web UI:
the runbook's steps with the current one, the open gate and the command that approves
it, the next timer, each wave's mailboxes (failures first, with their error), the DNS
records before the migration and now, the pre-sync rounds' durations and volumes (the
final-sync estimate) and the audit log. It reads only the workflows' status query and
refreshes itself every few seconds. Default http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/.

On 127.0.0.1 (the default) it needs no login. On any other address it refuses to start
unless ${TOKEN_ENV} holds a token (at least 16 characters; never on the command
line); every request must then carry it: open the page once as /?token=<token>.
Exit 2 for bad arguments or a missing token, 1 when the port cannot be listened on,
4 when Temporal cannot be reached.`;

/** Resolves on Ctrl-C or SIGTERM. */
const stopRequested = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

export async function dashboardCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' } }, []);
  if (values.help) {
    io.out(dashboardHelp);
    return EXIT.ok;
  }
  const port = Number(values.port ?? DEFAULT_DASHBOARD_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${values.port}"`);
  const host = values.host ?? '127.0.0.1';
  const token = (io.env ?? process.env)[TOKEN_ENV] || undefined;
  // Before connecting to Temporal: a dashboard that may not start has nothing to read.
  const refusal = bindRefusal(host, token);
  if (refusal) {
    io.err(`mailshift dashboard: ${refusal}`);
    return EXIT.usage;
  }
  const t = await connect(io);
  try {
    const dashboard = await startDashboard({ temporal: t, host, port, token, uiLink: (id) => uiLink(io, t.namespace, id), log: io.err }).catch(
      (err: unknown) => {
        io.err(`mailshift dashboard: cannot listen on ${host}:${port}: ${(err as Error).message}`);
        return undefined;
      },
    );
    if (!dashboard) return EXIT.failed;
    io.out(`dashboard: ${dashboard.url}${token ? ' (open it once as ?token=<token>)' : ''}; Ctrl-C stops it`);
    await stopRequested();
    await dashboard.close();
    return EXIT.ok;
  } finally {
    await t.close();
  }
}
