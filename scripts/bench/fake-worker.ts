// A worker with the runbook's workflows and instant fakes of its activities
// (test/workflows/fakes.ts; spec validation and the mailbox list are the real ones), for
// `npm run bench:orchestration`: what the orchestration alone costs. Started as a process
// of its own (scripts/servers/worker-process.ts) so its memory is measured apart.
import { NativeConnection, Worker } from '@temporalio/worker';
import { readFileSync, writeFileSync } from 'node:fs';
import type * as activities from '../../activities';
import type { DnsRecordSet } from '../../workflows/audit';
import { fakeActivities, fakeWorld, type Call, type FakeWorld } from '../../test/workflows/fakes';
import { WORKFLOW_INTERCEPTOR_MODULES, workflowCode } from '../../workers/workflow-bundle';
import { FAKE_MX } from './fake-mx';

/**
 * Every worker process has a fake world of its own: the DNS records, which one worker may
 * change and another read next, live in a file they share (FAKE_DNS_FILE, which the
 * bench writes first). The runbook changes them one step at a time.
 */
function withSharedDns(world: FakeWorld, fakes: typeof activities): typeof activities {
  const file = process.env.FAKE_DNS_FILE!;
  const shared =
    <T>(fake: (input: T) => Promise<unknown>) =>
    async (input: T) => {
      world.records = new Map(JSON.parse(readFileSync(file, 'utf8')) as [string, DnsRecordSet][]);
      try {
        return await fake(input);
      } finally {
        writeFileSync(file, JSON.stringify([...world.records]));
      }
    };
  return { ...fakes, readRecords: shared(fakes.readRecords), replaceRecords: shared(fakes.replaceRecords) } as typeof activities;
}

async function run(): Promise<void> {
  const world = fakeWorld([FAKE_MX]);
  // Counted, not kept: a million recorded calls would be the largest thing in this process.
  let calls = 0;
  world.calls = {
    push: () => ++calls,
    get length() {
      return calls;
    },
  } as unknown as Call[];
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: process.env.MAILSHIFT_TASK_QUEUE!,
      // --instant-pages: the round and notice pages answer at once (the runbook's own cost at 100,000).
      ...(process.env.INSTANT_PAGES
        ? { workflowsPath: require.resolve('../../test/workflows/fixtures/instant-pages'), interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } }
        : workflowCode().options),
      activities: withSharedDns(world, fakeActivities(world)),
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
