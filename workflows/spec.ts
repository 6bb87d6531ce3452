// The migration spec: the one JSON document an operator gives mailshift (Temporal UI's
// Start Workflow form, or `mailshift start`). The client validates it before anything
// starts, and the workflow validates it again first thing; every problem is reported
// with its field path. Secrets are never here: only references (`env:NAME`, `file:/path`)
// that activities resolve.
import { z } from 'zod';
import { mailAddressOf } from './mail-address';
import { jsonBytes, PAYLOAD_BUDGET_BYTES } from './payload-budget';
import { accessMethod } from './spec-access';
import { dns, dnsProvider } from './spec-dns';
import { hostname, imapServer, offsetDateTime, port, secretRef } from './spec-fields';
import { folderPattern, folderRenames } from './spec-folders';
import { holdAddress, mailFlow } from './spec-mail-flow';
import { mailbox, mailboxList } from './spec-mailboxes';

// The parts other modules read through this one.
export { imapServer, secretRef } from './spec-fields';
export { holdAddress, holdingRelayProvider, mailHoldProvider, mtaQueue } from './spec-mail-flow';
export { mailboxList } from './spec-mailboxes';

/**
 * Every gate a runbook can open. `dns-conflict` opens only when a DNS record is not what
 * mailshift recorded (someone else changed it), `step-failed` when a step keeps failing or
 * a phase rule refuses it, `canary` when mail for the domain does not reach host2: none
 * is ever automatic.
 */
export const gateName = z.enum(['start', 'cutover', 'switch-mx', 'shutdown-old', 'done', 'close-old', 'dns-conflict', 'step-failed', 'canary']);
export type GateName = z.infer<typeof gateName>;

export const migrationSpec = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'must be 1-63 lower-case letters, digits, dots, dashes or underscores' })
      .describe("the migration's name: the workflow id is migration-<name>"),
    scenario: z
      .enum(['classical', 'lucky', 'mx-first', 'hold-and-release'])
      .describe(
        'classical: users get a new host name, user and password on host2; lucky: same host name and credentials, the host name moves; mx-first: the MX and the users move to host2 at once, old mail is back-filled from host1 over the following days; hold-and-release: the MX points to a holding relay while every mailbox moves, then its mail is released to host2 (mailFlow.holdingRelay)',
      ),
    host1: imapServer.describe('the old IMAP server'),
    host2: imapServer.describe('the new IMAP server'),
    mailboxes: z.array(mailbox).min(1).optional().describe('every mailbox to move (or mailboxList: one of the two)'),
    mailboxList: mailboxList.optional().describe('the mailboxes read from a CSV or JSONL file instead of listed here'),
    dns: dns.describe('the DNS records the runbook changes: TTLs, the MX, and (lucky) the IMAP host name'),
    schedule: z
      .strictObject({
        migrationAt: offsetDateTime.describe('the migration hour, with its zone, e.g. 2026-12-05T22:00:00+01:00; must be in the future'),
        presyncEveryHours: z
          .number()
          .min(1)
          .max(24 * 7)
          .default(24)
          .describe('pre-sync cadence until the migration hour'),
        postsyncEveryHours: z
          .number()
          .min(1)
          .max(24 * 7)
          .default(24)
          .describe('post-sync cadence after the MX switch'),
        quietRoundsToFinish: z
          .number()
          .int()
          .min(1)
          .max(30)
          .default(3)
          .describe('post-syncs end after this many rounds in a row that found nothing new on host1'),
        remindAfterHours: z.number().min(1).default(4).describe('an approver is reminded when a gate has waited this long'),
      })
      .describe('when things happen'),
    sync: z
      .strictObject({
        include: z.array(folderPattern).default([]).describe('folders to sync (JavaScript regular expressions); empty: all'),
        exclude: z.array(folderPattern).default([]).describe('folders to leave out (JavaScript regular expressions)'),
        rename: folderRenames.describe('folder renames, host1 name to host2 name ("/" separates levels)'),
        maxSizeBytes: z.number().int().positive().optional().describe('messages larger than this are not copied'),
        concurrency: z.number().int().min(1).max(200).default(8).describe('mailboxes synced at once'),
      })
      .prefault({})
      .describe('what the syncs copy'),
    mailFlow: mailFlow.prefault({}).describe('checks of the mail flow itself'),
    access: accessMethod.default({ method: 'notify-only' }).describe('how users lose access to host1 at cut-over (and get it back on rollback)'),
    approvals: z
      .strictObject({
        approvers: z.array(z.string().min(1)).min(1).describe('names allowed to approve gates, roll back, pause and resume'),
        automaticGates: z
          .array(gateName.exclude(['dns-conflict', 'step-failed', 'canary']))
          .default([])
          .describe('gates passed without a person (e.g. start in a rehearsal)'),
      })
      .describe('who approves the gates'),
    notifications: z
      .strictObject({
        from: z.email().describe('sender address of every notice'),
        approverEmails: z.array(z.email()).default([]).describe('approvers told when a gate waits, reminded, and told of a rollback'),
        smtp: z
          .strictObject({
            host: hostname.describe('SMTP host'),
            port: port.default(587).describe('SMTP port'),
            tls: z.enum(['implicit', 'starttls', 'none']).default('starttls').describe('implicit TLS, STARTTLS, or none'),
            verifyCertificate: z.boolean().default(true).describe("verify the SMTP server's TLS certificate"),
            user: z.string().optional().describe('SMTP login'),
            credential: secretRef.optional().describe('SMTP password, by reference'),
          })
          .describe('the SMTP server that sends the notices'),
        helpContact: z.string().min(1).default('your IT desk').describe('who users call for help, named in every notice'),
        passwordInstructions: z
          .string()
          .default('Your IT desk will give you your new password.')
          .describe('where users find their new password: told in the credentials notice, never the password itself'),
      })
      .describe('notices to users and approvers'),
  })
  .superRefine((spec, ctx) => {
    // mailboxList is read into mailboxes before this (activities/spec.ts): mailboxes it is.
    if (!spec.mailboxes) {
      ctx.addIssue({ code: 'custom', path: ['mailboxes'], message: 'required: list the mailboxes here, or name a file in mailboxList' });
      return;
    }
    const mailboxes = spec.mailboxes;
    const seen = (key: (m: (typeof mailboxes)[number]) => string, field: 'source' | 'destination') => {
      const first = new Map<string, number>();
      mailboxes.forEach((m, i) => {
        const k = key(m);
        const j = first.get(k);
        if (j === undefined) first.set(k, i);
        else ctx.addIssue({ code: 'custom', path: ['mailboxes', i, field, 'user'], message: `duplicate of mailboxes[${j}]: ${k}` });
      });
    };
    seen((m) => m.source.user.toLowerCase(), 'source');
    seen((m) => `${(m.destination.server ?? spec.host2).host.toLowerCase()}/${m.destination.user.toLowerCase()}`, 'destination');
    if (spec.scenario === 'lucky') {
      if (!spec.dns.imapHost) {
        ctx.addIssue({ code: 'custom', path: ['dns', 'imapHost'], message: 'the lucky scenario moves the IMAP host name: give its record' });
      }
      for (const side of ['host1', 'host2'] as const) {
        if (!spec[side].syncAddress) {
          ctx.addIssue({ code: 'custom', path: [side, 'syncAddress'], message: 'the lucky scenario syncs by address, since the host name moves' });
        }
      }
      if (spec.host1.host.toLowerCase() !== spec.host2.host.toLowerCase()) {
        ctx.addIssue({ code: 'custom', path: ['host2', 'host'], message: 'the lucky scenario keeps the same host name on both sides' });
      }
    }
    if (spec.scenario === 'mx-first') {
      // No wave is cut over: host1 stays readable while old mail is back-filled.
      if (spec.access.method !== 'notify-only') {
        ctx.addIssue({
          code: 'custom',
          path: ['access', 'method'],
          message: 'the mx-first scenario leaves host1 readable and cuts no access: leave access out',
        });
      }
      if (spec.mailFlow.hold) {
        ctx.addIssue({
          code: 'custom',
          path: ['mailFlow', 'hold'],
          message: 'the mx-first scenario moves the MX first: no cut-over holds mail, leave mailFlow.hold out',
        });
      }
    }
    if (spec.access.method === 'dns' && !spec.dns.imapHost?.parkedAddresses?.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'imapHost', 'parkedAddresses'],
        message: 'cutting access by DNS needs the address to park the IMAP host name on',
      });
    }
    if (spec.dns.restoreTtl !== undefined && spec.dns.lowTtl >= spec.dns.restoreTtl) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'lowTtl'], message: 'must be lower than dns.restoreTtl' });
    }
    const inZone = (n: string) => {
      const name = n.toLowerCase().replace(/\.$/, '');
      const zone = spec.dns.zone.toLowerCase().replace(/\.$/, '');
      return name === zone || name.endsWith(`.${zone}`);
    };
    const canary = spec.mailFlow.canary;
    if (canary) {
      if (canary.mailbox && !spec.mailboxes.some((m) => m.source.user === canary.mailbox)) {
        ctx.addIssue({ code: 'custom', path: ['mailFlow', 'canary', 'mailbox'], message: 'names no mailbox of this migration' });
      }
      const domain = spec.dns.mx.name.toLowerCase().replace(/\.$/, '');
      if (canary.address && canary.address.toLowerCase().split('@')[1] !== domain) {
        ctx.addIssue({ code: 'custom', path: ['mailFlow', 'canary', 'address'], message: `must be an address at ${domain}, whose MX the runbook switches` });
      }
      if (spec.dns.provider.kind === 'powerdns' && !spec.dns.checkResolvers.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['dns', 'checkResolvers'],
          message: 'the canary asks DNS for the MX: list a resolver (the PowerDNS API answers no DNS queries)',
        });
      }
    }
    if (spec.mailFlow.hold) {
      spec.mailboxes.forEach((m, i) => {
        if (!holdAddress.safeParse(mailAddressOf(m.source.user, spec.dns.mx.name)).success) {
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', i, 'source', 'user'],
            message: 'mailFlow.hold needs a plain address (or a plain name at dns.mx.name) here',
          });
        }
      });
    }
    if (spec.scenario === 'hold-and-release') {
      if (!spec.mailFlow.holdingRelay) {
        ctx.addIssue({
          code: 'custom',
          path: ['mailFlow', 'holdingRelay'],
          message: 'the hold-and-release scenario points the MX to a holding relay: give it (its MX records and how it holds and releases)',
        });
      }
      if (spec.mailFlow.hold) {
        ctx.addIssue({
          code: 'custom',
          path: ['mailFlow', 'hold'],
          message: 'the hold-and-release scenario holds mail on its relay, not on host1 per wave: leave it out',
        });
      }
      if (spec.access.method === 'dns') {
        ctx.addIssue({ code: 'custom', path: ['access', 'method'], message: 'the hold-and-release scenario parks no IMAP host name: cut access another way' });
      }
      // The relay holds the MX name's domain: a mailbox at another domain would get its mail elsewhere, unheld.
      const domain = spec.dns.mx.name.toLowerCase().replace(/\.$/, '');
      spec.mailboxes.forEach((m, i) => {
        const address = mailAddressOf(m.source.user, spec.dns.mx.name);
        if (address.toLowerCase().split('@').at(-1) !== domain) {
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', i, 'source', 'user'],
            message: `the holding relay holds mail for ${domain} only: ${address} is not there`,
          });
        } else if (spec.mailFlow.holdingRelay?.host1Queue && !holdAddress.safeParse(address).success) {
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', i, 'source', 'user'],
            message: "mailFlow.holdingRelay.host1Queue needs a plain address (or a plain name at dns.mx.name) here: host1's queue is read by address",
          });
        }
      });
    }
    if (!inZone(spec.dns.mx.name)) ctx.addIssue({ code: 'custom', path: ['dns', 'mx', 'name'], message: `is not in zone ${spec.dns.zone}` });
    if (spec.dns.imapHost && !inZone(spec.dns.imapHost.name)) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'imapHost', 'name'], message: `is not in zone ${spec.dns.zone}` });
    }
  });

/** The spec as an operator writes it (defaults may be left out). */
export type MigrationSpecInput = z.input<typeof migrationSpec>;
/** A spec that lists its mailboxes (no mailboxList). */
export type ListedSpecInput = MigrationSpecInput & { mailboxes: NonNullable<MigrationSpecInput['mailboxes']> };
/** The spec with every default filled in, and its mailboxes (listed, or read from mailboxList). */
export type MigrationSpec = Omit<z.output<typeof migrationSpec>, 'mailboxes'> & { mailboxes: Mailbox[] };
export type ImapServer = z.output<typeof imapServer>;
export type Mailbox = z.output<typeof mailbox>;
export type DnsProvider = z.output<typeof dnsProvider>;
export type AccessMethod = z.output<typeof accessMethod>;
export type CanarySpec = NonNullable<z.output<typeof mailFlow>['canary']>;
export type MailHoldSpec = NonNullable<z.output<typeof mailFlow>['hold']>;
export type HoldingRelaySpec = NonNullable<z.output<typeof mailFlow>['holdingRelay']>;

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`the migration spec has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

const fieldPath = (path: PropertyKey[]) =>
  path.length === 0 ? '(spec)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

/** Megabytes with two decimals, rounded up: a size over a limit never reads as the limit. */
const megabytes = (bytes: number) => `${(Math.ceil(bytes / 10_000) / 100).toFixed(2)} MB`;

/**
 * A spec is a workflow's input, and Temporal refuses a payload over 2 MB (mailshift keeps
 * each under PAYLOAD_BUDGET_BYTES): a larger one would be "valid" and then fail to start,
 * or to continue-as-new. Mailboxes are what makes a spec large: how many would fit.
 */
function sizeProblem(input: unknown): string | undefined {
  const size = jsonBytes(input);
  if (size <= PAYLOAD_BUDGET_BYTES) return undefined;
  const limit = `the spec is ${megabytes(size)}; a migration's input must stay under ${PAYLOAD_BUDGET_BYTES / 1e6} MB`;
  const mailboxes = (input as { mailboxes?: unknown }).mailboxes;
  if (!Array.isArray(mailboxes) || !mailboxes.length) return `${fieldPath([])}: ${limit}`;
  const perMailbox = jsonBytes(mailboxes) / mailboxes.length;
  const fit = Math.floor((PAYLOAD_BUDGET_BYTES - (size - jsonBytes(mailboxes))) / perMailbox);
  if (fit < 1) return `${fieldPath([])}: ${limit}, even without its mailboxes`;
  return `mailboxes: ${limit} (about ${String(fit).replace(/\B(?=(\d{3})+$)/g, ',')} mailboxes like these): split it into several migrations`;
}

/**
 * Validates a spec, listing every problem by field path. `now` is the caller's clock
 * (the workflow passes its deterministic time): a migration hour in the past is refused.
 */
export function parseSpec(input: unknown, now: Date): MigrationSpec {
  const result = migrationSpec.safeParse(input);
  const problems = result.success
    ? []
    : result.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys' ? i.keys.map((k) => `${fieldPath([...i.path, k])}: unknown field`) : [`${fieldPath(i.path)}: ${i.message}`],
      );
  const tooLarge = sizeProblem(input);
  if (tooLarge) problems.unshift(tooLarge);
  const migrationAt = (input as { schedule?: { migrationAt?: unknown } } | undefined)?.schedule?.migrationAt;
  if (typeof migrationAt === 'string' && Date.parse(migrationAt) <= now.getTime()) {
    problems.push(`schedule.migrationAt: ${migrationAt} is in the past`);
  }
  if (problems.length) throw new SpecError(problems);
  return result.data as MigrationSpec;
}

/** The problems parseSpec lists for `input` (none when it is valid). */
export function specProblems(input: unknown, now: Date): string[] {
  try {
    parseSpec(input, now);
    return [];
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
}
