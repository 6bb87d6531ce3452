// What every mailshift command gets: where its output goes, the environment, and
// (for tests or embedding) an already connected Temporal client. Commands return their
// exit code instead of calling process.exit, so tests run them as plain functions.
import type { Client } from '@temporalio/client';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The exit codes, as documented in scripts/mailshift.ts and `mailshift help`. */
export const EXIT = {
  ok: 0,
  /** The workflow was not found, failed, was terminated, is not a migration, or has not finished (`report --no-wait`); another refusal from Temporal. */
  failed: 1,
  /** Bad command line, or a spec with problems or that Temporal refused to start. */
  usage: 2,
  /** The workflow refused an approval, a rollback, a pause or a resume. */
  refused: 3,
  /** Temporal cannot be reached or refuses the credentials (address, TLS, API key), or no worker answers. */
  unreachable: 4,
} as const;

export interface CliIo {
  /** One line (or block) of normal output; a newline is added. */
  out: (text: string) => void;
  /** One line (or block) of diagnostics; a newline is added. */
  err: (text: string) => void;
  /** Environment variables (TEMPORAL_*, MAILSHIFT_UI_URL, MAILSHIFT_TASK_QUEUE); default process.env. */
  env?: Record<string, string | undefined>;
  /** A connected client to use instead of connecting from the environment (tests, embedding). */
  client?: Client;
  /** How long connecting to Temporal may take before exit code 4; default 10 seconds. */
  connectTimeoutMs?: number;
  /** The task queue `start` uses; default MAILSHIFT_TASK_QUEUE, else `mailshift`. */
  taskQueue?: string;
  /** The clock `validate`/`start` check the migration hour against; default the wall clock. */
  now?: () => Date;
  /** Directory relative spec paths are read from; default process.cwd(). */
  cwd?: string;
}

export const processIo = (): CliIo => ({
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});

/** A usage error: printed with a hint, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses one command's arguments strictly: unknown options and missing values are usage errors. */
export function parse<O extends Options>(argv: string[], options: O, positionals: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const given = parsed.positionals;
  const values = parsed.values as { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };
  if (!values.help) {
    if (given.length < positionals.length)
      throw new UsageError(
        `missing ${positionals
          .slice(given.length)
          .map((p) => `<${p}>`)
          .join(' ')}`,
      );
    if (given.length > positionals.length) throw new UsageError(`unexpected argument: ${given[positionals.length]}`);
  }
  return { values, args: given };
}

/** A required option's value (e.g. `--by`), else a usage error. */
export function required(value: string | undefined, name: string): string {
  if (!value || !value.trim()) throw new UsageError(`--${name} is required`);
  return value.trim();
}

export const json = (value: unknown) => JSON.stringify(value, null, 2);
