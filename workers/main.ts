// The mailshift worker: runs the runbook workflows and their activities. Production runs
// this same entry against any Temporal cluster or Temporal Cloud, as many copies as
// needed. The connection follows Temporal's environment configuration conventions
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE
// or ~/.config/temporalio/temporal.toml); without any, localhost:7233, namespace default.
// With MAILSHIFT_CODEC_KEY set, every payload is encrypted (workers/codec.ts).
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../activities';
import { dataConverterFromEnv } from './codec';
import { TASK_QUEUE } from '../workflows/task-queue';
import { workflowCode } from './workflow-bundle';

async function run(): Promise<void> {
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const dataConverter = dataConverterFromEnv();
  if (dataConverter) console.log(`mailshift worker: payloads encrypted (key id "${process.env.MAILSHIFT_CODEC_KEY_ID?.trim() || 'default'}")`);
  const workflows = workflowCode();
  console.log(`mailshift worker: workflow code from ${workflows.description}`);
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace,
      taskQueue: process.env.MAILSHIFT_TASK_QUEUE ?? TASK_QUEUE,
      ...workflows.options,
      activities,
      dataConverter,
      // The SDK sends an activity's heartbeats to the server at most every 80% of its
      // heartbeat timeout (12 s of the syncs' 15 s): at least every 5 s instead, so that
      // only a dead worker (not a slow moment) lets the timeout expire.
      maxHeartbeatThrottleInterval: '5 seconds',
    });
    // Worker.run() stops on SIGINT/SIGTERM (the SDK's default shutdown signals). Running
    // activities are cancelled at once (shutdownGraceTime is 0): a mailbox sync stops after
    // the batch in flight and its attempt fails, so the server retries it on another worker
    // after the retry's initial interval, from its checkpoint; nothing is lost.
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
