// The Temporal dev server (`temporal server start-dev`) with the Web UI, a persistent
// database file and mailshift's search attributes, detached so it outlives `npm start`
// when the operator wants it to.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { searchAttributes } from '../../workflows/search-attributes';
import { temporalCliPath } from '../tools';
import { waitFor } from './process';

export interface DevServerOptions {
  port: number;
  uiPort: number;
  dbFile: string;
  logFile: string;
  namespace?: string;
  /** The codec server the Web UI calls to decode payloads (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
}

const saType = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' } as const;

export async function devServerAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 }).catch(() => undefined);
  if (!connection) return false;
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection.close();
  }
}

export async function startDevServer(o: DevServerOptions): Promise<number> {
  const cli = temporalCliPath();
  if (!cli) throw new Error('The Temporal CLI is not installed: run `npm run setup`');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--ui-port', String(o.uiPort)];
  args.push('--db-filename', o.dbFile, '--namespace', o.namespace ?? 'default', '--log-level', 'warn');
  if (o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  for (const key of searchAttributes) args.push('--search-attribute', `${key.name}=${saType[key.type]}`);
  const log = openSync(o.logFile, 'a');
  const child = spawn(cli, args, { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  await waitFor(
    'the Temporal dev server',
    async () => {
      if (child.exitCode !== null) throw new Error(`the Temporal dev server exited; see ${o.logFile}`);
      return devServerAnswers(`127.0.0.1:${o.port}`);
    },
    60_000,
  );
  return child.pid!;
}
