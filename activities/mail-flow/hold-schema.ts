// Holding a wave's incoming mail at cut-over and releasing it to host2 (or back to host1
// on rollback): the spec's provider and the activities' inputs. Pluggable like access and
// DNS; only `postfix` exists now.
import { z } from 'zod';

const absolutePath = z.string().regex(/^\//, { message: 'must be an absolute path' });

/** A Postfix transport: `lmtp:inet:127.0.0.1:24`, `lmtp:unix:/path`, `smtp:[host]:25`. */
const transport = z
  .string()
  .regex(/^(lmtp|smtp|relay):[^\s\p{Cc}]+$/u, { message: 'must be a Postfix transport such as lmtp:inet:host:port or smtp:[host]:port' });

export const mailHoldConfig = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('postfix'),
    configDir: absolutePath.describe("host1's Postfix config directory (postfix/postqueue/postsuper -c); the activities run on a worker beside that MTA, as root"),
    holdMap: absolutePath
      .optional()
      .describe('the hash map main.cf checks with check_recipient_access in smtpd_recipient_restrictions; default: <configDir>/mailshift-hold'),
    transportMap: absolutePath.optional().describe('a hash map listed in main.cf transport_maps; default: <configDir>/mailshift-transport'),
    host2Transport: transport.describe("where released mail for the wave's users goes: host2's delivery, e.g. lmtp:inet:10.0.0.2:24 or smtp:[mail2.example.com]:25"),
  }),
]);
export type MailHoldConfig = z.output<typeof mailHoldConfig>;

/** A recipient address as it reaches host1's MTA: one line of a Postfix map key, never option-like. */
export const holdAddress = z
  .string()
  .max(320)
  .regex(/^[^-\s@\p{Cc}#][^\s@\p{Cc}#]*@[A-Za-z0-9.-]+$/u, { message: 'must be a plain address (local@domain, no spaces or "#")' });

export const mailHoldInput = z.strictObject({
  hold: mailHoldConfig,
  /** The wave's recipient addresses. */
  addresses: z.array(holdAddress),
});
export type MailHoldInput = z.input<typeof mailHoldInput>;

export const releaseInput = mailHoldInput.extend({
  /** host2: re-route the addresses there and release; host1 (rollback): drop hold and re-route, release. */
  to: z.enum(['host1', 'host2']),
});
export type ReleaseInput = z.input<typeof releaseInput>;

/** Messages in the queue with a recipient among the addresses, by queue. */
export interface QueuedFor {
  held: number;
  /** Not yet delivered and not held: incoming, active, deferred (and maildrop). */
  pending: number;
  /** Held messages with a recipient held for someone else too (another wave): not released with these. */
  sharedWithOthers: number;
}

export interface MailHoldReport {
  /** The maps changed (false on a retry that found everything done). */
  changed: boolean;
  /** Messages moved out of hold. */
  released: number;
}
