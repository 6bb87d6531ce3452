// A Temporal dev server the test owns, so it can crash it and bring it back on the same
// port with the same database file, as an operator restarting a machine would. It is
// started by the product's own launcher (scripts/servers/temporal-dev.ts: --db-filename,
// mailshift's search attributes), not TestWorkflowEnvironment, whose server dies with it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../scripts/servers/temporal-dev';
import { freePorts, isAlive } from '../../scripts/servers/process';

export interface RestartableDevServer {
  address: string;
  port: number;
  dbFile: string;
  logFile: string;
  /** The current server process (a new one after each restart). */
  readonly pid: number;
  /** SIGKILL to the server's process group, as a crash; resolves once its ports are free. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same database file; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  stop(): Promise<void>;
}

/** Whether nothing listens on 127.0.0.1:`port` (we could bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function startRestartableDevServer(): Promise<RestartableDevServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-devserver-'));
  const [port, uiPort] = await freePorts(2);
  const options = { port, uiPort, dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'server.log') };
  let pid = await startDevServer(options);

  // startDevServer spawns it detached: its pid is its process group.
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      if (!isAlive(pid) && (await portFree(options.port)) && (await portFree(options.uiPort))) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  return {
    address: `127.0.0.1:${options.port}`,
    port: options.port,
    dbFile: options.dbFile,
    logFile: options.logFile,
    get pid() {
      return pid;
    },
    async kill() {
      signalGroup('SIGKILL');
      if (!(await gone(15_000))) throw new Error(`the dev server (pid ${pid}) or its ports outlived SIGKILL`);
    },
    async restart() {
      pid = await startDevServer(options);
    },
    async stop() {
      signalGroup('SIGTERM');
      if (!(await gone(5_000))) {
        signalGroup('SIGKILL');
        await gone(5_000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
