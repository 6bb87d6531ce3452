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
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

/** What the server said, on one line, without gRPC's "3 INVALID_ARGUMENT: " prefix or a final period. */
export function causeOf(err: unknown): string {
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  const text =
    grpc?.details ||
    (err instanceof ServiceError && err.cause instanceof Error ? err.cause.message : undefined) ||
    (err instanceof Error ? err.message : String(err));
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

/**
 * Temporal refused what was sent, not the connection: an input over the cluster's payload
 * limit ("Blob data size exceeds limit"), a message over gRPC's ("received message larger
 * than max"), an id too long. Sending it again cannot help.
 */
export function refusedInput(err: unknown): boolean {
  const code = grpcCode(err);
  return code === INVALID_ARGUMENT || (code === RESOURCE_EXHAUSTED && /larger than max/i.test(causeOf(err)));
}

/**
 * Turns what a Temporal call threw into one line and an exit code (an operator never sees
 * a stack trace for Temporal's answer), or rethrows what is not Temporal's: a bug.
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
  if (code === PERMISSION_DENIED || code === UNAUTHENTICATED)
    return { code: EXIT.unreachable, message: `Temporal refused the connection's credentials: ${causeOf(err)}` };
  if (err instanceof ServiceError || code !== undefined) {
    return { code: EXIT.failed, message: `Temporal returned an error${workflowId ? ` for workflow ${workflowId}` : ''}: ${causeOf(err)}` };
  }
  throw err;
}

/** Runs `fn` with a deadline on every call it makes (queries and updates need a worker). */
export const withTimeout = <R>(t: Temporal, seconds: number, fn: () => Promise<R>): Promise<R> => t.client.withDeadline(Date.now() + seconds * 1000, fn);

/** Connects, runs `command`, and turns what Temporal throws into the exit code and message that name the workflow. */
export async function withWorkflow(io: CliIo, workflowId: string, command: (t: Temporal) => Promise<number>): Promise<number> {
  const t = await connect(io);
  try {
    return await command(t);
  } catch (err) {
    const { code, message } = explain(err, workflowId);
    io.err(message);
    return code;
  } finally {
    await t.close();
  }
}
