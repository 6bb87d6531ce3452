// Where the Temporal binaries are: an env var wins, then the copy our installers cached
// under .tools/, else undefined (the SDK may then download them, where the internet is
// reachable).
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

function resolveTool(envVar: string, cached: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${envVar} points to ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const local = path.join(root, cached);
  return existsSync(local) ? local : undefined;
}

/** The Temporal CLI (`temporal server start-dev`, with the Web UI). */
export const temporalCliPath = (): string | undefined => resolveTool('TEMPORAL_CLI_PATH', '.tools/bin/temporal');

/** The time-skipping test server launcher (`<path> <port>`). */
export const temporalTestServerPath = (): string | undefined => resolveTool('TEMPORAL_TEST_SERVER_PATH', '.tools/test-server/temporal-test-server');

export const projectRoot = root;
