// Temporal test environments started from the binaries our installers cached (or the
// TEMPORAL_*_PATH overrides): never a download at test time on these machines.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalCliPath, temporalTestServerPath } from '../../scripts/tools';
import { searchAttributes } from '../../workflows/search-attributes';

function required(path: string | undefined, what: string): string {
  if (!path) throw new Error(`${what} is not installed: run \`npm run setup\` (or set its *_PATH variable)`);
  return path;
}

/** The Java time-skipping test server: timers fire as soon as nothing else can happen. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: required(temporalTestServerPath(), 'The test server') } },
  });
}

/** A real dev server (`temporal server start-dev`) with our search attributes. */
export function createLocalEnv(options: { dbFilename?: string } = {}): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: required(temporalCliPath(), 'The Temporal CLI') },
      ip: '127.0.0.1',
      dbFilename: options.dbFilename,
      searchAttributes,
      log: { format: 'pretty', level: 'warn' },
    },
  });
}
