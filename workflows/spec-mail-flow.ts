// The spec's mail flow: the canary through the new MX, and holding a wave's mail on host1's
// MTA while it moves.
import { z } from 'zod';
import { absolutePath, port } from './spec-fields';

/** A Postfix transport: `lmtp:inet:127.0.0.1:24`, `lmtp:unix:/path`, `smtp:[host]:25`. */
export const transport = z
  .string()
  .regex(/^(lmtp|smtp|relay):[^\s\p{Cc}]+$/u, { message: 'must be a Postfix transport such as lmtp:inet:host:port or smtp:[host]:port' });

/** A recipient address as host1's MTA gets it, written as a Postfix map key: one plain word, never option-like. */
export const holdAddress = z
  .string()
  .max(320)
  .regex(/^[^-\s@\p{Cc}#][^\s@\p{Cc}#]*@[A-Za-z0-9.-]+$/u, { message: 'must be a plain address (local@domain, no spaces or "#")' });

/** How host1's MTA holds and releases a wave's mail (activities/mail-flow/hold.ts). */
export const mailHoldProvider = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('postfix').describe('the MTA in front of host1: postfix (the only provider for now), its commands run on a worker beside it'),
    configDir: absolutePath.describe(
      "host1's Postfix config directory (postfix/postqueue/postsuper -c); the activities run on a worker beside that MTA, as root",
    ),
    holdMap: absolutePath
      .optional()
      .describe(
        "the hash map main.cf checks with check_recipient_access in smtpd_recipient_restrictions; default: <configDir>/mailshift-hold. mailshift rewrites the migrated users' entries in it (other lines are kept)",
      ),
    transportMap: absolutePath
      .optional()
      .describe(
        "a hash map listed in main.cf transport_maps; default: <configDir>/mailshift-transport. mailshift rewrites the migrated users' entries in it (other lines are kept): give it a map of its own",
      ),
    host2Transport: transport.describe(
      "where released mail for the wave's users goes: host2's delivery, e.g. lmtp:inet:10.0.0.2:24 or smtp:[mail2.example.com]:25",
    ),
  }),
]);

/** After the MX switch: does mail for the domain really reach host2? (workflows/canary.ts) */
export const mailFlow = z.strictObject({
  canary: z
    .strictObject({
      smtpPort: port.default(25).describe('the port the MX hosts take mail on (MX records carry no port)'),
      from: z.email().optional().describe("the canary's sender; default: notifications.from"),
      mailbox: z
        .string()
        .min(1)
        .optional()
        .describe('the mailbox that receives the canary, by its host1 user (mailboxes[].source.user); default: the first mailbox'),
      address: z
        .email()
        .optional()
        .describe(
          "the canary's recipient, an address at dns.mx.name that delivers into that mailbox; default: its host2 user at dns.mx.name (the user itself when it is an address)",
        ),
      waitMinutes: z.number().int().min(1).max(1440).default(30).describe('how long the canary may take to reach host2 (checked every minute)'),
    })
    .optional()
    .describe(
      "after the MX switch and its TTL wait, one marked message goes to the MX as DNS answers it (asked through dns.checkResolvers, else the DNS provider's own server) and must arrive on host2, not host1, before users are told host1 is gone; else the runbook stops at gate canary. Without it the mail flow is not checked",
    ),
  hold: mailHoldProvider
    .optional()
    .describe(
      "at each wave's cut-over, host1's MTA holds the wave's incoming mail (addressed to mailboxes[].source.user, or user@dns.mx.name when it is no address) and the runbook waits until none for them is pending in its queue; after the final sync is verified, that mail is re-routed to host2 and released. A rollback releases it back to host1. Provider postfix only for now. Without it, mail reaching host1 during the cut-over waits for the post-syncs",
    ),
});
