// Temporal test environments started from the binaries our installers cached (or the
// TEMPORAL_*_PATH overrides): never a download at test time on these machines.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { temporalCliPath, temporalTestServerPath } from '../../scripts/tools';
import { searchAttributes } from '../../workflows/search-attributes';

function required(path: string | undefined, what: string): string {
  if (!path) throw new Error(`${what} is not installed: run \`npm run setup\` (or set its *_PATH variable)`);
  return path;
}

/** The Java time-skipping test server: timers fire as soon as nothing else can happen. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: required(temporalTestServerPath(), 'The test server') } },
  });
  // The test server takes no --search-attribute flag: register ours through its API.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(searchAttributes.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

/**
 * A real dev server (`temporal server start-dev`) with our search attributes (and the Web
 * UI on `uiPort`, the frontend then on `port`: both picked at once, see freePorts);
 * `dynamicConfig` sets server limits, as a cluster's operator would.
 */
export function createLocalEnv(
  options: { dbFilename?: string; port?: number; uiPort?: number; dynamicConfig?: Record<string, string | number> } = {},
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: required(temporalCliPath(), 'The Temporal CLI') },
      ip: '127.0.0.1',
      dbFilename: options.dbFilename,
      port: options.port,
      ...(options.uiPort && { ui: true, uiPort: options.uiPort }),
      searchAttributes,
      log: { format: 'pretty', level: 'warn' },
      extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]),
    },
  });
}
