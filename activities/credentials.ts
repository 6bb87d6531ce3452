// Credentials are references, never values: workflow input and history carry `env:NAME`
// or `file:/path`, and the secret is read here, inside the activity, on the worker that
// holds it. Nothing in this module ever puts a secret into a message.
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';

/** The error type a workflow sees when a reference cannot be resolved (not retried). */
export const CREDENTIAL_UNAVAILABLE = 'CredentialUnavailable';

/**
 * Resolves a credential reference to the secret it names.
 *  - `env:NAME`   the environment variable NAME of the worker process;
 *  - `file:/path` the file's content, without the trailing newline editors add.
 * Errors name the reference (a name or a path, which is not secret), never its content.
 */
export async function resolveSecret(ref: string): Promise<string> {
  const colon = ref.indexOf(':');
  // A bare string is most likely a password pasted where a reference belongs: say so
  // without repeating it.
  if (colon <= 0) throw unavailable('a credential must be a reference like env:NAME or file:/path; got a value without a scheme');
  const scheme = ref.slice(0, colon);
  const target = ref.slice(colon + 1);
  switch (scheme) {
    case 'env': {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(target)) throw unavailable(`env: reference needs a variable name, got "${target}"`);
      const value = process.env[target];
      if (value === undefined || value === '') throw unavailable(`environment variable ${target} is not set on this worker`);
      return value;
    }
    case 'file': {
      if (!target.startsWith('/')) throw unavailable('file: reference needs an absolute path');
      let content: string;
      try {
        content = await readFile(target, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
        throw unavailable(`credential file ${target} cannot be read (${code})`);
      }
      const value = content.replace(/\r?\n$/, '');
      if (value === '') throw unavailable(`credential file ${target} is empty`);
      return value;
    }
    default:
      // The scheme is echoed only when it looks like one: `hunter2:xyz` must not leak.
      throw unavailable(
        /^[a-z][a-z0-9+.-]{0,15}$/i.test(scheme)
          ? `unsupported credential scheme "${scheme}" (use env: or file:)`
          : 'unsupported credential scheme (use env: or file:)',
      );
  }
}

function unavailable(message: string): ApplicationFailure {
  // Retrying on the same worker would read the same missing variable or file.
  return ApplicationFailure.nonRetryable(message, CREDENTIAL_UNAVAILABLE);
}
