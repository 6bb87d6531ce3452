// The real worker (workers/main.ts) as a child process in its own process group, so a
// SIGKILL takes it and anything it started together, as a crashed machine would.
// For the fault tests (a worker killed mid-copy) and bench:scale (two workers).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from './process';

const root = path.resolve(__dirname, '../..');

export interface WorkerProcess {
  pid: number;
  log: string;
  /** SIGKILL to the whole group; resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful shutdown), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

/** `entry`: the worker's script (default workers/main.ts; bench:orchestration runs one with fake activities). */
export function startWorkerProcess(o: { address: string; namespace?: string; taskQueue: string; log: string; entry?: string }): WorkerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: o.address,
    TEMPORAL_NAMESPACE: o.namespace ?? 'default',
    MAILSHIFT_TASK_QUEUE: o.taskQueue,
  };
  // The tests' and benchmarks' clients send plain payloads.
  delete env.MAILSHIFT_CODEC_KEY;
  delete env.TEMPORAL_PROFILE;
  const out = openSync(o.log, 'a');
  // As `npm run worker` runs it.
  const child: ChildProcess = spawn(process.execPath, ['--require', 'tsx/cjs', o.entry ?? 'workers/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const pid = child.pid!;
  child.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while ((isAlive(pid) || groupAlive()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  return {
    pid,
    log: o.log,
    async kill() {
      group('SIGKILL');
      await exited;
      await gone(5_000);
    },
    async stop(graceMs = 10_000) {
      group('SIGTERM');
      await gone(graceMs);
      group('SIGKILL');
      await gone(5_000);
    },
    output: () => readFileSync(o.log, 'utf8'),
  };
}
