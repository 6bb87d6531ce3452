// The spec's mail flow: the canary through the new MX, holding a wave's mail on host1's
// MTA while it moves, and (scenario hold-and-release) the holding relay the MX points to
// while every mailbox moves.
import { z } from 'zod';
import { absolutePath, port, secretRef, taskQueueName } from './spec-fields';

/** A Postfix transport: `lmtp:inet:127.0.0.1:24`, `lmtp:unix:/path`, `smtp:[host]:25`. */
export const transport = z
  .string()
  .regex(/^(lmtp|smtp|relay):[^\s\p{Cc}]+$/u, { message: 'must be a Postfix transport such as lmtp:inet:host:port or smtp:[host]:port' });

/** A recipient address as host1's MTA gets it, written as a Postfix map key: one plain word, never option-like. */
export const holdAddress = z
  .string()
  .max(320)
  .regex(/^[^-\s@\p{Cc}#][^\s@\p{Cc}#]*@[A-Za-z0-9.-]+$/u, { message: 'must be a plain address (local@domain, no spaces or "#")' });

/** The task queue of a worker beside an MTA, for what only that machine can do (its maps, its queue, its programs). */
const besideMta = (mta: string) =>
  taskQueueName
    .optional()
    .describe(
      `the task queue of a worker running beside ${mta} (MAILSHIFT_TASK_QUEUE=<name> npm run worker there): its maps, queue and programs are local to that machine, so only that worker runs these activities; default: the migration's own workers (a single machine)`,
    );

const holdKind =
  "how host1's MTA holds a wave's mail. postfix: its maps and queue, by its commands; command: `<path> hold|release-host1|release-host2|queue <address>...`; http: an endpoint receiving {action, addresses, to}";

/** How host1's MTA holds and releases a wave's mail (activities/mail-flow/hold.ts, hold-providers.ts). */
export const mailHoldProvider = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('postfix').describe(holdKind),
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
    workerQueue: besideMta("host1's MTA"),
  }),
  z.strictObject({
    provider: z.literal('command').describe(holdKind),
    path: absolutePath.describe(
      'the program, an absolute path, run without a shell as `<path> hold|release-host1|release-host2|queue <address>...`; exit 0 = done, and it must be idempotent (a retry runs it again). queue prints {"held":n,"pending":n} on stdout; hold and release may print {"changed":bool,"released":n}',
    ),
    timeoutSeconds: z.number().int().min(1).max(3600).default(60).describe('how long the program may run'),
    workerQueue: besideMta("host1's MTA"),
  }),
  z.strictObject({
    provider: z.literal('http').describe(holdKind),
    url: z
      .url({ protocol: /^https?$/ })
      .describe(
        'the endpoint: POST {"action": "hold"|"queue"|"release", "addresses": [...], "to": "host1"|"host2" (release)} as JSON; a 2xx answer is done, and it must be idempotent (a retry posts again). queue answers {"held":n,"pending":n}; hold and release may answer {"changed":bool,"released":n}',
      ),
    token: secretRef.optional().describe('a bearer token, by reference'),
    timeoutSeconds: z.number().int().min(1).max(300).default(30).describe('how long the endpoint may take to answer'),
    workerQueue: besideMta("host1's MTA"),
  }),
]);

/** host1's MTA, whose queue is read only: nothing may still be pending there for the users. */
export const mtaQueue = z.strictObject({
  provider: z.literal('postfix').describe('the MTA in front of host1: postfix (the only provider for now)'),
  configDir: absolutePath.describe("host1's Postfix config directory (postqueue -c), on a worker beside that MTA, as root"),
  workerQueue: besideMta("host1's MTA"),
});

/** MX values, as dns.mx.host2 writes them. */
const mxValues = z.array(z.string().regex(/^\d{1,5} \S+$/, { message: 'must be "<preference> <host>"' })).min(1);

/** The holding relay: a second MTA the MX points to, holding all mail for the domain (activities/mail-flow/relay.ts). */
export const holdingRelayProvider = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('postfix').describe('the holding relay: postfix (the only provider for now), its commands run on a worker beside it'),
    configDir: absolutePath.describe("the relay's Postfix config directory (postfix/postqueue/postsuper -c); the activities run beside it, as root"),
    holdMap: absolutePath
      .optional()
      .describe(
        "the hash map main.cf checks with check_recipient_access in smtpd_recipient_restrictions; default: <configDir>/mailshift-hold. mailshift writes the domain's entry in it (a HOLD for every address at the domain)",
      ),
    transportMap: absolutePath
      .optional()
      .describe("a hash map listed in main.cf transport_maps; default: <configDir>/mailshift-transport. mailshift writes the domain's entry in it"),
    host1Transport: transport.describe('where the relay sends released mail on rollback: host1, e.g. smtp:[mail1.example.com]:25'),
    host2Transport: transport.describe('where the relay sends released mail once every mailbox is verified: host2, e.g. lmtp:inet:10.0.0.2:24'),
    workerQueue: besideMta('the holding relay'),
  }),
]);

export const holdingRelay = z.strictObject({
  mx: mxValues.describe('the MX records while the relay holds the mail, e.g. ["10 hold.example.com."]'),
  relay: holdingRelayProvider.describe('the relay those MX records name, and how it holds and releases'),
  host1Queue: mtaQueue
    .optional()
    .describe(
      "host1's MTA: after the MX moved to the relay and the low TTL, the runbook waits until its queue has nothing pending for the users before the final sync. Without it, the TTL wait alone stands for that",
    ),
});

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
      "at each wave's cut-over, host1's MTA holds the wave's incoming mail (addressed to mailboxes[].source.user, or user@dns.mx.name when it is no address) and the runbook waits until none for them is pending in its queue; after the final sync is verified, that mail is re-routed to host2 and released. A rollback releases it back to host1. Providers: postfix, command, http. Without it, mail reaching host1 during the cut-over waits for the post-syncs",
    ),
  holdingRelay: holdingRelay
    .optional()
    .describe(
      'scenario hold-and-release (required there): at cut-over the MX points to this relay, which holds all mail for the domain (dns.mx.name) while every mailbox gets its final sync; once all are verified, the relay sends the held mail to host2 and the MX moves to host2. A rollback releases it to host1',
    ),
});
