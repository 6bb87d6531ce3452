// The spec's building blocks: secrets by reference, host names, ports, dates with their
// offset, and an IMAP server.
import { z } from 'zod';
import { PROVIDERS } from './provider-presets';

/** A secret by reference, resolved inside activities: `env:NAME` or `file:/absolute/path`. */
export const secretRef = z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
  message: 'must be a secret reference: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)',
});

/** A Temporal task queue: a worker started with MAILSHIFT_TASK_QUEUE=<name> takes its activities (access.workerQueue, mailFlow's workerQueue). */
export const taskQueueName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'a task queue name: letters, digits, ".", "_" and "-", at most 100' });

export const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/, {
    message: 'must be a host name or an IP address',
  });
export const port = z.number().int().min(1).max(65535);

/**
 * A date-time with its UTC offset. Without one, the time would depend on the machine that
 * reads it: the message says what is missing rather than zod's "Invalid ISO datetime".
 */
export const offsetDateTime = z.iso.datetime({
  offset: true,
  error: (issue) => {
    if (issue.code !== 'invalid_format') return undefined;
    const zoneless = typeof issue.input === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(issue.input);
    return `${zoneless ? 'needs a UTC offset' : 'must be a date and time with its UTC offset'}, like 2026-12-24T22:00:00+01:00 or 2026-12-24T21:00:00Z`;
  },
});
export const dnsName = hostname.describe('a fully qualified DNS name, e.g. mail.example.com');

// Every field says what it is with .describe(): `mailshift schema` turns the descriptions
// into docs/spec.schema.json and docs/spec.md, and the Temporal UI shows the same words.
export const imapServer = z.strictObject({
  host: hostname.describe('the IMAP host name users know'),
  port: port.default(993).describe('IMAP port'),
  tls: z.enum(['implicit', 'starttls', 'none']).default('implicit').describe('implicit TLS (993), STARTTLS (143), or none'),
  verifyCertificate: z.boolean().default(true).describe("verify the server's TLS certificate; off only for a self-signed certificate you trust"),
  syncAddress: hostname.optional().describe('lucky scenario: sync through this address, since the host name will move'),
  provider: z
    .enum(PROVIDERS)
    .default('generic')
    .describe(
      "the server's kind, giving defaults the spec's own sync rules override: gmail and microsoft365 leave out folders that are not mail to copy ([Gmail]/All Mail, Sync Issues…), map their role folders ([Gmail]/Sent Mail to Sent) and, as the side written to, skip messages over their size limit; gmail also caps connections per account and bytes per day; dovecot and generic add nothing (README: Migrating from or to Gmail and Microsoft 365)",
    ),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe(
      'IMAP connections mailshift holds to this server at once, from every worker together: a round runs no more mailboxes at once than fit (absent: only sync.concurrency limits them)',
    ),
  connectionsPerAccount: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe(
      "IMAP connections one mailbox's sync opens to its account here (at most 2 anyway: folders copied in parallel); default the provider's limit (gmail 15)",
    ),
  downloadBytesPerDay: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "message bytes one account may read here per UTC day: a sync stops there and its mailbox waits for the next day; default the provider's (gmail 2.5 GB)",
    ),
  uploadBytesPerDay: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "message bytes one account may be sent here per UTC day: a sync stops there and its mailbox waits for the next day; default the provider's (gmail 500 MB)",
    ),
});

export const absolutePath = z.string().regex(/^\//, { message: 'must be an absolute path' });

/** Where a server's connections go: the address synced to (lucky: syncAddress) and port. */
export const serverKey = (s: { host: string; syncAddress?: string; port: number }) => `${(s.syncAddress ?? s.host).toLowerCase()}:${s.port}`;
