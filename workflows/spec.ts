// The migration spec: the one JSON document an operator gives mailshift (Temporal UI's
// Start Workflow form, or `mailshift start`). The client validates it before anything
// starts, and the workflow validates it again first thing; every problem is reported
// with its field path. Secrets are never here: only references (`env:NAME`, `file:/path`)
// that activities resolve.
import { z } from 'zod';

/** A secret by reference, resolved inside activities: `env:NAME` or `file:/absolute/path`. */
export const secretRef = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
    message: 'must be a secret reference: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)',
  });

const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/,
    { message: 'must be a host name or an IP address' },
  );
const port = z.number().int().min(1).max(65535);
const dnsName = hostname.describe('a fully qualified DNS name, e.g. mail.example.com');

export const imapServer = z.strictObject({
  host: hostname.describe('the IMAP host name users know'),
  port: port.default(993),
  tls: z.enum(['implicit', 'starttls', 'none']).default('implicit'),
  /** Off only for a server with a self-signed certificate you trust. */
  verifyCertificate: z.boolean().default(true),
  /** Lucky scenario: sync through this address, since the host name will move. */
  syncAddress: hostname.optional(),
});

const login = z.strictObject({
  user: z.string().min(1),
  credential: secretRef,
  mechanism: z.enum(['password', 'xoauth2']).default('password'),
  /** Admin/master login: authenticate as this user with its credential, for `user`. */
  masterUser: z.string().min(1).optional(),
  /** Dovecot-style master login `user*admin` (the separator); else SASL PLAIN authzid. */
  masterUserSeparator: z.string().min(1).max(1).optional(),
});

export const mailbox = z.strictObject({
  source: login,
  destination: login.extend({ server: imapServer.optional().describe('overrides host2 for this mailbox') }),
  /** Waves run their cut-over one after the other, in the order they first appear. */
  wave: z.string().min(1).default('main'),
  /** Where this user's notices go (the old address may be the one being moved). */
  contact: z.email().optional(),
});

export const dnsProvider = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rfc2136'),
    server: hostname,
    port: port.default(53),
    tsigKey: secretRef.describe('a BIND key file (file:) or "name:algorithm:secret" (env:)'),
  }),
  z.strictObject({
    kind: z.literal('powerdns'),
    apiUrl: z.url(),
    serverId: z.string().default('localhost'),
    apiKey: secretRef,
  }),
]);

export const dns = z.strictObject({
  provider: dnsProvider,
  zone: dnsName,
  mx: z.strictObject({
    name: dnsName.describe('the name whose MX records route the mail, usually the zone itself'),
    /** The MX records once the mail goes to host2, e.g. ["10 mx.new.example.com."]. */
    host2: z.array(z.string().regex(/^\d{1,5} \S+$/, { message: 'must be "<preference> <host>"' })).min(1),
  }),
  imapHost: z
    .strictObject({
      name: dnsName,
      /** Lucky scenario: host2's addresses, which the IMAP host name finally points to. */
      host2Addresses: z.array(z.union([z.ipv4(), z.ipv6()])).min(1),
      /** Cut-over (lucky): where the name points while no IMAP server should answer. */
      parkedAddresses: z.array(z.union([z.ipv4(), z.ipv6()])).optional(),
    })
    .optional(),
  lowTtl: z.number().int().min(30).max(3600).default(300),
  restoreTtl: z.number().int().min(300).max(604_800).default(86_400),
  /** Resolvers that must also answer the new records before the runbook goes on. */
  checkResolvers: z.array(z.string()).default([]),
});

/** How users lose access to host1 at cut-over (and get it back on rollback). */
export const accessMethod = z.discriminatedUnion('method', [
  /** Users are told to stop using host1; nothing is enforced. */
  z.strictObject({ method: z.literal('notify-only') }),
  /** An operator's program: `<path> cut|restore <user>`, MAILSHIFT_* in its environment. */
  z.strictObject({ method: z.literal('command'), path: z.string().regex(/^\//, { message: 'must be an absolute path' }), timeoutSeconds: z.number().int().min(1).max(3600).default(60) }),
  /** An HTTP endpoint receiving {action, user, phase}. */
  z.strictObject({ method: z.literal('http'), url: z.url(), token: secretRef.optional() }),
  /** A deny list Dovecot's passdb consults on host1 (and kick the open sessions). */
  z.strictObject({ method: z.literal('dovecot-deny-list'), denyFile: z.string().regex(/^\//, { message: 'must be an absolute path' }), doveadmConfig: z.string().optional() }),
  /** Lucky scenario: the IMAP host name points to a host that answers no IMAP. */
  z.strictObject({ method: z.literal('dns') }),
]);

/**
 * Every gate a runbook can open. `dns-conflict` opens only when a DNS record is not what
 * mailshift recorded (someone else changed it): it is never automatic.
 */
export const gateName = z.enum(['start', 'cutover', 'switch-mx', 'shutdown-old', 'done', 'dns-conflict']);
export type GateName = z.infer<typeof gateName>;

export const migrationSpec = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, {
      message: 'must be 1-63 lower-case letters, digits, dots, dashes or underscores',
    }),
    scenario: z.enum(['classical', 'lucky']),
    host1: imapServer,
    host2: imapServer,
    mailboxes: z.array(mailbox).min(1),
    dns,
    schedule: z.strictObject({
      /** The migration hour, with its zone: 2026-12-05T22:00:00+01:00. */
      migrationAt: z.iso.datetime({ offset: true }),
      presyncEveryHours: z.number().min(1).max(24 * 7).default(24),
      postsyncEveryHours: z.number().min(1).max(24 * 7).default(24),
      /** Post-syncs end after this many rounds in a row that found nothing new on host1. */
      quietRoundsToFinish: z.number().int().min(1).max(30).default(3),
      /** An approver is reminded when a gate has waited this long. */
      remindAfterHours: z.number().min(1).default(4),
    }),
    sync: z
      .strictObject({
        include: z.array(z.string()).default([]),
        exclude: z.array(z.string()).default([]),
        rename: z.record(z.string(), z.string()).default({}),
        maxSizeBytes: z.number().int().positive().optional(),
        /** Mailboxes synced at once. */
        concurrency: z.number().int().min(1).max(200).default(8),
      })
      .prefault({}),
    access: accessMethod.default({ method: 'notify-only' }),
    approvals: z.strictObject({
      approvers: z.array(z.string().min(1)).min(1),
      /** Gates passed without a person (e.g. `start` in a rehearsal). */
      automaticGates: z.array(gateName.exclude(['dns-conflict'])).default([]),
    }),
    notifications: z.strictObject({
      from: z.email(),
      approverEmails: z.array(z.email()).default([]),
      smtp: z.strictObject({
        host: hostname,
        port: port.default(587),
        tls: z.enum(['implicit', 'starttls', 'none']).default('starttls'),
        verifyCertificate: z.boolean().default(true),
        user: z.string().optional(),
        credential: secretRef.optional(),
      }),
      /** Who users call for help, named in every notice. */
      helpContact: z.string().min(1).default('your IT desk'),
      /** Where users find their new password: told in the credentials notice, never the password. */
      passwordInstructions: z.string().default('Your IT desk will give you your new password.'),
    }),
  })
  .superRefine((spec, ctx) => {
    const seen = (key: (m: (typeof spec.mailboxes)[number]) => string, field: 'source' | 'destination') => {
      const first = new Map<string, number>();
      spec.mailboxes.forEach((m, i) => {
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
    if (spec.access.method === 'dns' && !spec.dns.imapHost?.parkedAddresses?.length) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'imapHost', 'parkedAddresses'], message: 'cutting access by DNS needs the address to park the IMAP host name on' });
    }
    if (spec.dns.lowTtl >= spec.dns.restoreTtl) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'lowTtl'], message: 'must be lower than dns.restoreTtl' });
    }
    const inZone = (n: string) => {
      const name = n.toLowerCase().replace(/\.$/, '');
      const zone = spec.dns.zone.toLowerCase().replace(/\.$/, '');
      return name === zone || name.endsWith(`.${zone}`);
    };
    if (!inZone(spec.dns.mx.name)) ctx.addIssue({ code: 'custom', path: ['dns', 'mx', 'name'], message: `is not in zone ${spec.dns.zone}` });
    if (spec.dns.imapHost && !inZone(spec.dns.imapHost.name)) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'imapHost', 'name'], message: `is not in zone ${spec.dns.zone}` });
    }
  });

/** The spec as an operator writes it (defaults may be left out). */
export type MigrationSpecInput = z.input<typeof migrationSpec>;
/** The spec with every default filled in. */
export type MigrationSpec = z.output<typeof migrationSpec>;
export type ImapServer = z.output<typeof imapServer>;
export type Mailbox = z.output<typeof mailbox>;
export type DnsProvider = z.output<typeof dnsProvider>;
export type AccessMethod = z.output<typeof accessMethod>;

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`the migration spec has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

const fieldPath = (path: PropertyKey[]) =>
  path.length === 0 ? '(spec)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

/**
 * Validates a spec, listing every problem by field path. `now` is the caller's clock
 * (the workflow passes its deterministic time): a migration hour in the past is refused.
 */
export function parseSpec(input: unknown, now: Date): MigrationSpec {
  const result = migrationSpec.safeParse(input);
  const problems = result.success
    ? []
    : result.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => `${fieldPath([...i.path, k])}: unknown field`)
          : [`${fieldPath(i.path)}: ${i.message}`],
      );
  const migrationAt = (input as { schedule?: { migrationAt?: unknown } } | undefined)?.schedule?.migrationAt;
  if (typeof migrationAt === 'string' && Date.parse(migrationAt) <= now.getTime()) {
    problems.push(`schedule.migrationAt: ${migrationAt} is in the past`);
  }
  if (problems.length) throw new SpecError(problems);
  return result.data!;
}
