// The migration spec: the one JSON document an operator gives mailshift (Temporal UI's
// Start Workflow form, or `mailshift start`). The client validates it before anything
// starts, and the workflow validates it again first thing; every problem is reported
// with its field path. Secrets are never here: only references (`env:NAME`, `file:/path`)
// that activities resolve.
import { z } from 'zod';
import { jsonBytes, PAYLOAD_BUDGET_BYTES } from './payload-budget';
import { accessMethod } from './spec-access';
import { dns, dnsProvider } from './spec-dns';
import { hostname, imapServer, offsetDateTime, port, secretRef } from './spec-fields';
import { folderPattern, folderRenames } from './spec-folders';
import { mailFlow } from './spec-mail-flow';
import { mailbox, mailboxList } from './spec-mailboxes';
import { provisioningMethod } from './spec-provisioning';
import { specRules } from './spec-rules';

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

const specFields = z.strictObject({
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
  mailboxList: mailboxList.optional().describe('the mailboxes read from a CSV or JSONL file, or fetched by https, instead of listed here'),
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
      maxSizeBytes: z
        .number()
        .int()
        .positive()
        .optional()
        .describe(
          "messages larger than this are not copied (the operator's choice: preflight's size audit does not count them; it replaces host2's provider preset limit); absent: a message over host2's limit, its APPENDLIMIT or its provider's, stops preflight",
        ),
      compress: z.boolean().optional().describe('COMPRESS=DEFLATE with servers that offer it: for slow links (it costs CPU; off unless set)'),
      concurrency: z.number().int().min(1).max(200).default(8).describe('mailboxes synced at once'),
    })
    .prefault({})
    .describe('what the syncs copy'),
  mailFlow: mailFlow.prefault({}).describe('checks of the mail flow itself'),
  provisioning: provisioningMethod
    .optional()
    .describe(
      'how the mailboxes are created on host2 first, before preflight logs in there (the first step of the migration plan); absent: they already exist, nothing is done',
    ),
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
});

/** The spec's fields, before the rules across them (spec-rules.ts). */
export type SpecFields = z.output<typeof specFields>;

export const migrationSpec = specFields.superRefine(specRules);

/** The spec as an operator writes it (defaults may be left out). */
export type MigrationSpecInput = z.input<typeof migrationSpec>;
/** A spec that lists its mailboxes (no mailboxList). */
export type ListedSpecInput = MigrationSpecInput & { mailboxes: NonNullable<MigrationSpecInput['mailboxes']> };
/** The spec with every default filled in, and its mailboxes (listed, or read from mailboxList). */
export type MigrationSpec = Omit<z.output<typeof migrationSpec>, 'mailboxes'> & { mailboxes: Mailbox[]; listed?: ListedFile };
/**
 * A spec whose mailboxes are in a file (mailboxList): the file as it was validated. A
 * running migration's spec keeps this and no mailboxes; its workflows read the file a page
 * at a time (workflows/mailbox-pages.ts), and only the file with this digest.
 */
export interface ListedFile {
  sha256: string;
  count: number;
}
export type ImapServer = z.output<typeof imapServer>;
export type Mailbox = z.output<typeof mailbox>;
export type DnsProvider = z.output<typeof dnsProvider>;
export type AccessMethod = z.output<typeof accessMethod>;
export type ProvisioningMethod = z.output<typeof provisioningMethod>;
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
  // Mailboxes read from a file (mailboxList) stay there: the spec holds its name only.
  if ((input as { mailboxList?: unknown }).mailboxList !== undefined) input = { ...(input as object), mailboxes: [] };
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
