// Issue #15's bounds: a classical migration of 20,000 mailboxes listed in a CSV file, in
// three waves, runs to completion with no run's history above 10,000 events and no
// payload above 1.5 MB, every run of it checked (the runbook's, its continued runs', every
// round's and notice round's). Activities are instant fakes; the time-skipping server
// skips the waits. BOUNDS_MAILBOXES=1000 runs it smaller.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTimeSkippingEnv } from '../harness/temporal';
import { driveClassical } from '../../scripts/bench/drive-migration';
import { FAKE_MX } from '../../scripts/bench/fake-mx';
import { listedSpec, writeMailboxList } from '../../scripts/bench/mailbox-list-file';
import { HISTORY_TARGET, PAYLOAD_TARGET } from '../../scripts/bench/migration-report';
import { migrationRuns } from '../../scripts/bench/orchestration-figures';
import { stuckTask } from '../../scripts/bench/stuck-tasks';
import { classicalMigration } from '../../workflows/classical-migration';
import { fakeWorld, type Call } from './fakes';
import { startWorker } from './harness';

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
  // Counted, not kept: the calls of every round would be the test's largest memory.
  const synced = new Map<string, number>();
  world.calls = {
    push: (c: Call) => (c.name === 'syncMailbox' && synced.set(c.input.mailbox, (synced.get(c.input.mailbox) ?? 0) + 1), 0),
    length: 0,
  } as unknown as Call[];
  const worker = await startWorker(env, world);
  try {
    const listFile = path.join(mkdtempSync(path.join(tmpdir(), 'bounds-')), 'mailboxes.csv');
    const users = Array.from({ length: MAILBOXES }, (_, i) => `user${i + 1}`);
    const { waves } = writeMailboxList(listFile, users, { waves: 3, destinationCredential: (u) => `file:/run/secrets/host2-${u}` });
    const spec = listedSpec(listFile, new Date((await env.currentTimeMs()) + 3_600_000), 200);
    const workflowId = `bounds-${randomUUID()}`;
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue: worker.taskQueue, workflowId, args: [spec] });
    const client = new Client({ connection, namespace: env.namespace ?? 'default' });
    let looks = 0;
    const report = await driveClassical(handle, {
      waves,
      idle: async () => {
        // A workflow task that keeps failing (a payload over the server's limit) would leave it waiting for ever.
        const stuck = ++looks % 10 === 0 ? await stuckTask(client, workflowId) : undefined;
        if (stuck) throw new Error(`stuck: ${stuck}`);
        await new Promise((r) => setTimeout(r, 200));
      },
    });
    expect(report.outcome).toBe('completed');
    // Every mailbox synced: pre-sync, final sync, post-syncs.
    expect(synced.size).toBe(MAILBOXES);
    expect(Math.min(...synced.values())).toBeGreaterThanOrEqual(3);

    const runs = await migrationRuns(client, workflowId, handle.firstExecutionRunId);
    expect(runs.filter((r) => r.workflowType === 'mailboxRound').length).toBeGreaterThanOrEqual(2 + waves.length);
    const over = runs.filter((r) => r.events > HISTORY_TARGET || (r.largestPayload?.bytes ?? 0) > PAYLOAD_TARGET);
    expect(over.map((r) => ({ workflowId: r.workflowId, events: r.events, largestPayload: r.largestPayload }))).toEqual([]);
  } finally {
    await worker.stop();
  }
}, 600_000);
