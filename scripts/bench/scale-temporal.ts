// The scale benches' side of Temporal: a dev server and worker processes of their own,
// running one mailbox round as a workflow, and reading back every run's history (its
// length, size, largest payload, activity durations and failed attempts).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection, type WorkflowExecutionStatusName } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { readRun, type RunFigures } from './orchestration-figures';
import type { mailboxRound, MailboxOutcome, RoundInput } from '../../workflows/mailbox-round';
import { freePorts, stopPid } from '../servers/process';
import { startDevServer } from '../servers/temporal-dev';
import { startWorkerProcess, type WorkerProcess } from '../servers/worker-process';
import { atEnd } from './bench-process';

const log = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => (ms / 1000).toFixed(1);

export interface BenchTemporal {
  client: Client;
  address: string;
  port: number;
  taskQueue: string;
  workers: WorkerProcess[];
}

/**
 * A dev server with a database in `dir`, a client, and `workers` worker processes
 * (workers/main.ts, or `entry`) on a task queue of their own, polling; all stopped at the end.
 */
export async function startTemporal(o: { dir: string; workers: number; entry?: string }): Promise<BenchTemporal> {
  const t = performance.now();
  const [port, uiPort] = await freePorts(2);
  const serverPid = await startDevServer({ port, uiPort, dbFile: path.join(o.dir, 'temporal.db'), logFile: path.join(o.dir, 'temporal.log') });
  atEnd('Temporal dev server', () => stopPid(serverPid, 10_000));
  const address = `127.0.0.1:${port}`;
  // A round's first page of history holds its input (the spec, about 350 bytes a mailbox, and sync
  // states): past gRPC's default 4 MB receive limit at 2,000 mailboxes.
  const connection = await Connection.connect({ address, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
  atEnd('client connection', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `bench-scale-${randomUUID().slice(0, 8)}`;
  const workers = Array.from({ length: o.workers }, (_, n) =>
    startWorkerProcess({ address, taskQueue, entry: o.entry, log: path.join(o.dir, `worker-${n + 1}.log`) }),
  );
  atEnd('workers', async () => void (await Promise.all(workers.map((w) => w.stop()))));
  await waitForPollers(client, taskQueue, workers);
  log(`Temporal dev server :${port} and ${o.workers} workers polling in ${secs(performance.now() - t)} s`);
  return { client, address, port, taskQueue, workers };
}

export async function waitForPollers(client: Client, taskQueue: string, workers: WorkerProcess[], timeoutMs = 180_000): Promise<void> {
  const { TaskQueueType } = temporal.api.enums.v1;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const identities = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) => {
      const r = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
      return new Set((r.pollers ?? []).map((p) => p.identity));
    };
    const [wf, act] = await Promise.all([identities(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW), identities(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)]);
    if (wf.size >= workers.length && act.size >= workers.length) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the workers are not polling after ${timeoutMs / 1000} s; logs:\n${workers.map((w) => `--- ${w.log}\n${w.output().slice(-2000)}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface RoundRun {
  kind: RoundInput['kind'];
  workflowId: string;
  wallMs: number;
  outcomes: MailboxOutcome[];
}

export async function runRound(client: Client, taskQueue: string, input: RoundInput): Promise<RoundRun> {
  const workflowId = `bench-scale-${input.kind}-${randomUUID().slice(0, 8)}`;
  log(`${input.kind}: ${input.mailboxes.length} mailboxes (concurrency ${input.spec.sync.concurrency}) …`);
  const started = performance.now();
  const handle = await client.workflow.start<typeof mailboxRound>('mailboxRound', { taskQueue, workflowId, args: [input] });
  const outcomes = await handle.result();
  const wallMs = performance.now() - started;
  log(`${input.kind}: done in ${secs(wallMs)} s`);
  return { kind: input.kind, workflowId, wallMs, outcomes };
}

export interface RunHistory extends RunFigures {
  status: WorkflowExecutionStatusName;
}

/** Every run in the namespace (continued-as-new runs too) with its figures (orchestration-figures.ts). */
export async function histories(client: Client, expectedWorkflows: string[]): Promise<RunHistory[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs: RunHistory[] = [];
    for await (const wf of client.workflow.list()) {
      const figures = await readRun(client, wf.workflowId, wf.runId).catch((err: unknown) => {
        log(`  history of ${wf.workflowId} run ${wf.runId} not read: ${(err as Error).message}`);
        return undefined;
      });
      if (figures) runs.push({ ...figures, status: wf.status.name });
    }
    // Visibility lags a little behind: wait until each round's last run shows as closed.
    const settled = expectedWorkflows.every((id) => runs.some((r) => r.workflowId === id && r.status === 'COMPLETED'));
    if (settled || Date.now() > deadline) return runs;
    await new Promise((r) => setTimeout(r, 500));
  }
}
