// The spec's access methods: how users lose access to host1 at cut-over (and get it back).
import { z } from 'zod';
import { absolutePath, secretRef } from './spec-fields';

/** A task queue's name, as a worker started with `MAILSHIFT_TASK_QUEUE=<name> npm run worker` polls it. */
export const taskQueueName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { message: 'a task queue name: letters, digits, ".", "_" and "-", at most 100' });

/** A worker on host1 (`MAILSHIFT_TASK_QUEUE=<name> npm run worker` there) for what only host1 can do. */
const workerQueue = taskQueueName
  .optional()
  .describe(
    "the task queue of a worker running on host1 (MAILSHIFT_TASK_QUEUE=<name> npm run worker there): the deny list and doveadm are local to host1, so only that worker changes access and closes sessions; default: the migration's own workers (a single machine)",
  );

/** How users lose access to host1 at cut-over (and get it back on rollback). */
export const accessKind =
  "notify-only: users are told, nothing enforced; command: `<path> cut|restore <user>`; http: an endpoint receiving {action, user, phase}; dovecot-deny-list: a deny list host1's passdb consults; dns: (lucky) the IMAP host name points to a host that answers no IMAP";
export const accessMethod = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('notify-only').describe(accessKind) }),
  z.strictObject({
    method: z.literal('command').describe(accessKind),
    path: absolutePath.describe('the program, an absolute path'),
    timeoutSeconds: z.number().int().min(1).max(3600).default(60).describe('how long the program may run'),
  }),
  z.strictObject({
    method: z.literal('http').describe(accessKind),
    url: z.url().describe('the endpoint'),
    token: secretRef.optional().describe('a bearer token, by reference'),
  }),
  z.strictObject({
    method: z.literal('dovecot-deny-list').describe(accessKind),
    denyFile: absolutePath.describe('the deny list file, an absolute path'),
    doveadmConfig: z.string().optional().describe('doveadm configuration used to kick open sessions'),
    workerQueue,
  }),
  z.strictObject({
    method: z.literal('dns').describe(accessKind),
    doveadmConfig: absolutePath
      .optional()
      .describe(
        "host1's dovecot.conf: once the parked name has reached clients, each wave's open sessions on host1 are closed (doveadm kick) before its final sync; the worker must run where host1's Dovecot runs",
      ),
    workerQueue,
  }),
]);
