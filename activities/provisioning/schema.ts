// How the mailboxes are created on host2 before anything is copied there (imapsync's
// FAQ.Migration_Plan, its first step), as zod schemas the workflow spec can reuse
// (workflows/spec-provisioning.ts: same methods, same field names).
//   command  an operator's program: `<path> create <user>` (see command.ts)
//   http     POST {action:"create", user, mailbox} to an endpoint (see http.ts)
//   doveadm  a Dovecot host2: `doveadm mailbox create -u <user> INBOX` (see doveadm.ts);
//            it creates the mailbox storage, not the login: the user must already be in
//            host2's passdb/userdb
import { z } from 'zod';
import { absolutePath, accessUser, endpointFields, programFields } from '../access/schema';

export const provisioningMethodConfig = z.discriminatedUnion('method', [
  // Run as `<path> create <user>`.
  z.strictObject({ method: z.literal('command'), ...programFields }),
  z.strictObject({ method: z.literal('http'), ...endpointFields }),
  z.strictObject({
    method: z.literal('doveadm'),
    /** host2's dovecot.conf. */
    doveadmConfig: absolutePath,
    doveadmPath: z.string().min(1).default('doveadm'),
    timeoutSeconds: z.number().int().min(1).max(3600).default(60),
  }),
]);
export type ProvisioningMethodConfig = z.output<typeof provisioningMethodConfig>;
export type ProvisioningMethodConfigInput = z.input<typeof provisioningMethodConfig>;

/** One mailbox to create: its login on host2 and the migration's name for it (the login on host1). */
export const provisionedUser = z.strictObject({ user: accessUser, mailbox: accessUser });

export const provisionInput = z.strictObject({
  method: provisioningMethodConfig,
  users: z.array(provisionedUser),
});
export type ProvisionInput = z.input<typeof provisionInput>;
export type ProvisionedUser = z.output<typeof provisionedUser>;

/** `created` now, or `already-there` (a repeat, a retry, or made by hand before). */
export const PROVISION_OUTCOMES = ['created', 'already-there'] as const;
export type ProvisionOutcome = (typeof PROVISION_OUTCOMES)[number];

export interface ProvisionReport {
  method: ProvisioningMethodConfig['method'];
  users: { user: string; outcome: ProvisionOutcome }[];
}
