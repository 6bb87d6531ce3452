// The runbook's bounds: a classical migration of 20,000 mailboxes listed in a CSV file, in
// three waves, runs to completion with no run's history above 10,000 events or 10 MiB and no
// payload above 1.5 MB, every run of it checked (the runbook's, its continued runs', every
// round page's and notice page's). Its pages answer at once (fixtures/instant-pages.ts:
// 20,000 mailboxes synced one activity each do not fit a minute); a page's own bounds
// hold at any migration's size (scale.test.ts runs a real round page over 3,000). The
// time-skipping server skips the waits. BOUNDS_MAILBOXES=1000 runs it smaller.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTimeSkippingEnv } from '../harness/temporal';
import { FAKE_MX } from '../../scripts/bench/fake-mx';
import { listedSpec, writeMailboxList } from '../../scripts/bench/mailbox-list-file';
import { HISTORY_BYTES_TARGET, HISTORY_TARGET, PAYLOAD_TARGET } from '../../scripts/bench/migration-report';
import { migrationRuns } from '../../scripts/bench/orchestration-figures';
import { classicalMigration } from '../../workflows/classical-migration';
import type { GateName } from '../../workflows/spec';
import { REPORT_MAILBOXES } from '../../workflows/status';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker } from './harness';

const MAILBOXES = Number(process.env.BOUNDS_MAILBOXES ?? 20_000);
let env: TestWorkflowEnvironment;
let connection: Connection;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
  // A page of history with a large payload passes gRPC's default 4 MB: a client that reads it.
  connection = await Connection.connect({ address: env.address, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
});
afterAll(async () => {
  await connection?.close();
  await env?.teardown();
});

it(`migrates ${MAILBOXES} listed mailboxes with every history and payload within bounds`, async () => {
  const world = fakeWorld([FAKE_MX]);
  const worker = await startWorker(env, world, undefined, { workflowsPath: require.resolve('./fixtures/instant-pages') });
  try {
    const listFile = path.join(mkdtempSync(path.join(tmpdir(), 'bounds-')), 'mailboxes.csv');
    const users = Array.from({ length: MAILBOXES }, (_, i) => `user${i + 1}`);
    const { waves } = writeMailboxList(listFile, users, { waves: 3, destinationCredential: (u) => `file:/run/secrets/host2-${u}` });
    const spec = listedSpec(listFile, new Date((await env.currentTimeMs()) + 3_600_000), 200);
    const workflowId = `bounds-${randomUUID()}`;
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId, args: [spec] });
    const client = new Client({ connection, namespace: env.namespace ?? 'default' });
    // As an operator: each gate approved when it opens (time skipped in between); post-syncs end at gate done.
    for (const [gate, wave] of [['start'], ...waves.map((w) => ['cutover', w]), ['switch-mx'], ['done']] as [GateName, string?][]) {
      await approveWhenOpen(env, handle, gate, wave);
    }
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    // Every mailbox synced, cut and given host2, counted per wave over all of them (the mailboxes query: list-pages.test.ts).
    const total = (k: 'mailboxes' | 'synced' | 'cut' | 'onHost2') => report.waves.reduce((n, w) => n + w[k], 0);
    expect([total('mailboxes'), total('synced'), total('cut'), total('onHost2')]).toEqual([MAILBOXES, MAILBOXES, MAILBOXES, MAILBOXES]);
    expect(report.mailboxesOmitted).toBe(MAILBOXES - REPORT_MAILBOXES);

    const runs = await migrationRuns(client, workflowId, handle.firstExecutionRunId);
    expect(runs.filter((r) => r.workflowType === 'mailboxRoundPage').length).toBeGreaterThanOrEqual(2 + waves.length);
    const runbook = runs.filter((r) => r.workflowId === workflowId);
    const most = (rs: typeof runs, f: (r: (typeof runs)[number]) => number) => Math.max(...rs.map(f)).toLocaleString('en');
    console.log(
      `${MAILBOXES} mailboxes: ${runs.length} runs; the runbook's ${runbook.length} runs: at most ${most(runbook, (r) => r.events)} events and a payload of ` +
        `${most(runbook, (r) => r.largestPayload?.bytes ?? 0)} bytes; every run: at most ${most(runs, (r) => r.events)} events, ` +
        `${most(runs, (r) => r.bytes)} bytes of history, a payload of ${most(runs, (r) => r.largestPayload?.bytes ?? 0)} bytes`,
    );
    const over = runs.filter((r) => r.events > HISTORY_TARGET || r.bytes > HISTORY_BYTES_TARGET || (r.largestPayload?.bytes ?? 0) > PAYLOAD_TARGET);
    expect(over.map((r) => ({ workflowId: r.workflowId, events: r.events, bytes: r.bytes, largestPayload: r.largestPayload }))).toEqual([]);
  } finally {
    await worker.stop();
  }
}, 300_000);
