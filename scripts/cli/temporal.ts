// The CLI's connection to Temporal, configured exactly like the worker (workers/main.ts):
// Temporal's environment conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE, ~/.config/temporalio/temporal.toml),
// and the errors that map to the CLI's exit codes.
import { Client, Connection, isGrpcServiceError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { dataConverterFromEnv } from '../../workers/codec';
import { EXIT, type CliIo } from './io';

export class Unreachable extends Error {}

export interface Temporal {
  client: Client;
  namespace: string;
  close: () => Promise<void>;
}

/** io.client when given (tests), else a connection from the environment. */
export async function connect(io: CliIo): Promise<Temporal> {
  if (io.client) return { client: io.client, namespace: io.client.options.namespace, close: async () => undefined };
  const env = io.env ?? process.env;
  let config;
  try {
    config = loadClientConnectConfig({
      overrideEnvVars: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    });
  } catch (err) {
    throw new Unreachable(`cannot read the Temporal connection settings: ${(err as Error).message}`);
  }
  const { connectionOptions, namespace = 'default' } = config;
  // The worker's payload codec (MAILSHIFT_CODEC_KEY): the CLI reads and writes the same payloads.
  let dataConverter;
  try {
    dataConverter = dataConverterFromEnv(env);
  } catch (err) {
    throw new Unreachable(`cannot read the payload codec settings: ${(err as Error).message}`);
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ connectTimeout: io.connectTimeoutMs ?? 10_000, ...connectionOptions });
  } catch (err) {
    throw new Unreachable(`cannot reach Temporal at ${connectionOptions.address ?? 'localhost:7233'}: ${(err as Error).message}`);
  }
  return { client: new Client({ connection, namespace, dataConverter }), namespace, close: () => connection.close() };
}

const grpcCode = (err: unknown): number | undefined => {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError) return grpcCode(err.cause);
  return undefined;
};

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;

/**
 * Turns what a Temporal call threw into a message and an exit code, or rethrows what the
 * CLI does not expect.
 */
export function explain(err: unknown, workflowId?: string): { code: number; message: string } {
  const code = grpcCode(err);
  if (err instanceof Unreachable) return { code: EXIT.unreachable, message: err.message };
  if (err instanceof WorkflowNotFoundError || code === NOT_FOUND) {
    return { code: EXIT.failed, message: `no migration workflow ${workflowId ? `"${workflowId}" ` : ''}found: ${(err as Error).message}` };
  }
  if (code === UNAVAILABLE) return { code: EXIT.unreachable, message: `cannot reach Temporal: ${(err as Error).message}` };
  if (code === DEADLINE_EXCEEDED) {
    return {
      code: EXIT.unreachable,
      message: `no answer in time from workflow ${workflowId ?? ''}: is a mailshift worker running on its task queue? (${(err as Error).message})`,
    };
  }
  throw err;
}

/** Runs `fn` with a deadline on every call it makes (queries and updates need a worker). */
export const withTimeout = <R>(t: Temporal, seconds: number, fn: () => Promise<R>): Promise<R> =>
  t.client.withDeadline(Date.now() + seconds * 1000, fn);
