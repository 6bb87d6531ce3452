// The spec's provisioning methods: how the users' mailboxes are created on host2 before
// anything is copied there (imapsync's FAQ.Migration_Plan, its first step). Compatible
// with activities/provisioning/schema.ts (same methods, same field names).
import { z } from 'zod';
import { taskQueueName } from './spec-fields';
import { absolutePath, secretRef } from './spec-fields';

const workerQueue = taskQueueName
  .optional()
  .describe(
    "the task queue of a worker running on host2 (MAILSHIFT_TASK_QUEUE=<name> npm run worker there), for a method local to host2 (doveadm, a command there); default: the migration's own workers",
  );

export const provisioningKind =
  'command: `<path> create <user>` (exit 0 = created or already there); http: an endpoint receiving {action:"create", user, mailbox} (2xx created, 409 already there); doveadm: a Dovecot host2, `doveadm mailbox create -u <user> INBOX` (creates the mailbox storage, not the login: the user must already be in host2\'s passdb)';

/** How the mailboxes are created on host2, first of all (before preflight); absent: they already exist. */
export const provisioningMethod = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('command').describe(provisioningKind),
    path: absolutePath.describe('the program, an absolute path; it must be idempotent'),
    timeoutSeconds: z.number().int().min(1).max(3600).default(60).describe('how long the program may run for one user'),
    workerQueue,
  }),
  z.strictObject({
    method: z.literal('http').describe(provisioningKind),
    url: z.url({ protocol: /^https?$/ }).describe('the endpoint'),
    token: secretRef.optional().describe('a bearer token, by reference'),
    workerQueue,
  }),
  z.strictObject({
    method: z.literal('doveadm').describe(provisioningKind),
    doveadmConfig: absolutePath.describe("host2's dovecot.conf, on the worker that runs doveadm"),
    workerQueue,
  }),
]);
