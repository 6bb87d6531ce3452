// One attempt of the syncMailbox activity, as a worker runs it, in a process the huge
// profile can SIGKILL (resume.ts): `node --require tsx/cjs resume-attempt.ts JOB.json`.
// Every heartbeat's details go to JOB's heartbeatFile (replaced whole, so a kill never
// leaves half a file), as the Temporal server keeps them; with `resume`, the attempt
// starts from that file's details, as a retried attempt gets them. Prints the SyncResult.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncRequest } from '../../activities/imap/types';

export interface AttemptJob {
  request: SyncRequest;
  heartbeatFile: string;
  resume: boolean;
}

async function main(jobFile: string): Promise<void> {
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as AttemptJob;
  const details: unknown = job.resume && existsSync(job.heartbeatFile) ? JSON.parse(readFileSync(job.heartbeatFile, 'utf8')) : undefined;
  const env = new MockActivityEnvironment({ attempt: job.resume ? 2 : 1, heartbeatDetails: details });
  env.on('heartbeat', (d: unknown) => {
    writeFileSync(`${job.heartbeatFile}.tmp`, JSON.stringify(d));
    renameSync(`${job.heartbeatFile}.tmp`, job.heartbeatFile);
  });
  const result = await env.run(syncMailbox, job.request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`attempt failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
