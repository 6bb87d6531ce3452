// The migration spec: the one JSON document an operator gives mailshift (Temporal UI's
// Start Workflow form, or `mailshift start`). The client validates it before anything
// starts, and the workflow validates it again first thing; every problem is reported
// with its field path. Secrets are never here: only references (`env:NAME`, `file:/path`)
// that activities resolve.
import { z } from 'zod';
import { mailAddressOf } from './mail-address';
import { jsonBytes, PAYLOAD_BUDGET_BYTES } from './payload-budget';

/** A secret by reference, resolved inside activities: `env:NAME` or `file:/absolute/path`. */
export const secretRef = z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
  message: 'must be a secret reference: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)',
});

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/, {
    message: 'must be a host name or an IP address',
  });
const port = z.number().int().min(1).max(65535);

/**
 * A date-time with its UTC offset. Without one, the time would depend on the machine that
 * reads it: the message says what is missing rather than zod's "Invalid ISO datetime".
 */
const offsetDateTime = z.iso.datetime({
  offset: true,
  error: (issue) => {
    if (issue.code !== 'invalid_format') return undefined;
    const zoneless = typeof issue.input === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(issue.input);
    return `${zoneless ? 'needs a UTC offset' : 'must be a date and time with its UTC offset'}, like 2026-12-24T22:00:00+01:00 or 2026-12-24T21:00:00Z`;
  },
});
const dnsName = hostname.describe('a fully qualified DNS name, e.g. mail.example.com');

// Every field says what it is with .describe(): `mailshift schema` turns the descriptions
// into docs/spec.schema.json and docs/spec.md, and the Temporal UI shows the same words.
export const imapServer = z.strictObject({
  host: hostname.describe('the IMAP host name users know'),
  port: port.default(993).describe('IMAP port'),
  tls: z.enum(['implicit', 'starttls', 'none']).default('implicit').describe('implicit TLS (993), STARTTLS (143), or none'),
  verifyCertificate: z.boolean().default(true).describe("verify the server's TLS certificate; off only for a self-signed certificate you trust"),
  syncAddress: hostname.optional().describe('lucky scenario: sync through this address, since the host name will move'),
});

/** https, or plain http to this machine only (a test authorization server on loopback). */
const tokenUrl = z.url().refine((u) => {
  const { protocol, hostname: host } = new URL(u);
  return protocol === 'https:' || (protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(host));
}, 'must be an https:// URL (http:// only to 127.0.0.1 or localhost)');

const oauth2 = z
  .strictObject({
    issuer: tokenUrl
      .optional()
      .describe('the authorization server, found by OpenID discovery: https://login.microsoftonline.com/TENANT/v2.0, https://accounts.google.com'),
    tokenEndpoint: tokenUrl.optional().describe('its token endpoint instead, for a server without a discovery document'),
    clientId: z.string().min(1).describe('the application (client) id registered with the authorization server'),
    clientSecret: secretRef.describe('the client secret, by reference'),
    grant: z
      .enum(['refresh_token', 'client_credentials'])
      .describe(
        "refresh_token: a user's consent, given once (Gmail, Microsoft 365 delegated); client_credentials: app-only access to every mailbox of the tenant (Microsoft 365)",
      ),
    refreshToken: secretRef.optional().describe('the refresh token, by reference (grant refresh_token)'),
    scope: z.string().min(1).optional().describe('scopes to ask for, space-separated, e.g. https://outlook.office365.com/.default'),
  })
  .describe('OAuth2: where mailshift gets access tokens, and refreshes them before they expire');

const login = z.strictObject({
  user: z.string().min(1).describe('IMAP user name'),
  credential: secretRef
    .optional()
    .describe('the password or XOAUTH2 access token, by reference: env:NAME or file:/path (never the secret itself); required unless mechanism is oauth2'),
  mechanism: z
    .enum(['password', 'xoauth2', 'oauth2'])
    .default('password')
    .describe('password login; xoauth2 with a fixed access token (credential); oauth2 with tokens mailshift obtains and refreshes (oauth2)'),
  oauth2: oauth2.optional(),
  masterUser: z.string().min(1).optional().describe('admin/master login: authenticate as this user with its credential, for `user`'),
  masterUserSeparator: z.string().min(1).max(1).optional().describe('Dovecot-style master login `user*admin` (this separator); without it, SASL PLAIN authzid'),
});

type LoginInput = Partial<z.output<typeof login>>;

/** What one field cannot tell alone: which fields each mechanism needs. Paths are relative to the login. */
export function loginProblems(l: LoginInput): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const need = (ok: unknown, path: string[], message: string) => void (ok || problems.push({ path, message }));
  if (l.mechanism !== 'oauth2') {
    need(l.credential, ['credential'], 'is required (a secret reference) unless mechanism is oauth2');
    need(!l.oauth2, ['oauth2'], 'is only for mechanism oauth2');
    return problems;
  }
  need(!l.credential, ['credential'], 'is not used with mechanism oauth2: the client secret and refresh token go in oauth2');
  need(!l.masterUser, ['masterUser'], 'cannot be used with mechanism oauth2 (a token names its own user)');
  const o = l.oauth2;
  if (!o) return (need(false, ['oauth2'], 'is required with mechanism oauth2'), problems);
  need(!!o.issuer !== !!o.tokenEndpoint, ['oauth2', o.issuer ? 'tokenEndpoint' : 'issuer'], 'give either issuer or tokenEndpoint (one of the two)');
  need(o.grant !== 'refresh_token' || o.refreshToken, ['oauth2', 'refreshToken'], 'is required with grant refresh_token');
  need(o.grant !== 'client_credentials' || !o.refreshToken, ['oauth2', 'refreshToken'], 'is not used with grant client_credentials');
  return problems;
}

const destinationLogin = login.extend({ server: imapServer.optional().describe('overrides host2 for this mailbox') });

export const mailbox = z
  .strictObject({
    source: login.describe('the login on host1'),
    destination: destinationLogin.describe('the login on host2'),
    wave: z.string().min(1).default('main').describe('waves run their cut-over one after the other, in the order they first appear (friendly users first)'),
    contact: z.email().optional().describe("where this user's notices go (the old address may be the one being moved)"),
  })
  .superRefine((m, ctx) => {
    for (const side of ['source', 'destination'] as const) {
      for (const p of loginProblems(m[side])) ctx.addIssue({ code: 'custom', path: [side, ...p.path], message: p.message });
    }
  });

/** The mailboxes by reference: a file in the shape administrators already have (activities/mailbox-list.ts reads it). */
export const mailboxList = z.strictObject({
  from: z
    .string()
    .regex(/^file:\/\S/, { message: 'must be file:/absolute/path of a CSV or JSONL file' })
    .describe('file:/absolute/path, readable where mailshift start runs and on every worker'),
  format: z
    .enum(['csv', 'jsonl'])
    .optional()
    .describe(
      'csv: a header row with Exchange migration batch columns EmailAddress (the login on host2), UserName (on host1), Password (a secret reference for host1), and DestinationPassword, Wave, Contact; jsonl: one mailbox object per line. Default: by the file name ending',
    ),
  defaults: z
    .strictObject({
      source: login
        .partial()
        .optional()
        .describe('what every row leaves out of its host1 login, e.g. an admin login: credential, masterUser, masterUserSeparator'),
      destination: destinationLogin.partial().optional().describe('what every row leaves out of its host2 login'),
      wave: z.string().min(1).optional().describe('the wave of rows that name none'),
    })
    .prefault({})
    .describe('fields every row gets unless it gives its own'),
});

const providerKind = 'rfc2136: dynamic updates signed with TSIG (BIND, Knot); powerdns: the PowerDNS HTTP API';
export const dnsProvider = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rfc2136').describe(providerKind),
    server: hostname.describe('the authoritative server taking the updates'),
    port: port.default(53).describe('its DNS port'),
    tsigKey: secretRef.describe('a BIND key file (file:) or "name:algorithm:secret" (env:)'),
  }),
  z.strictObject({
    kind: z.literal('powerdns').describe(providerKind),
    apiUrl: z.url().describe('the PowerDNS API base URL'),
    serverId: z.string().default('localhost').describe('the PowerDNS server id'),
    apiKey: secretRef.describe('the PowerDNS API key, by reference'),
  }),
]);

export const dns = z.strictObject({
  provider: dnsProvider.describe('how DNS records are changed'),
  zone: dnsName,
  mx: z
    .strictObject({
      name: dnsName.describe('the name whose MX records route the mail, usually the zone itself'),
      host2: z
        .array(z.string().regex(/^\d{1,5} \S+$/, { message: 'must be "<preference> <host>"' }))
        .min(1)
        .describe('the MX records once the mail goes to host2, e.g. ["10 mx.new.example.com."]'),
    })
    .describe('the MX records'),
  imapHost: z
    .strictObject({
      name: dnsName.describe('the IMAP host name'),
      host2Addresses: z
        .array(z.union([z.ipv4(), z.ipv6()]))
        .min(1)
        .describe("lucky scenario: host2's addresses, which the IMAP host name finally points to"),
      parkedAddresses: z
        .array(z.union([z.ipv4(), z.ipv6()]))
        .optional()
        .describe('cut-over by DNS: where the name points while no IMAP server should answer'),
    })
    .optional()
    .describe("the IMAP host name's address records (required by the lucky scenario)"),
  lowTtl: z.number().int().min(30).max(3600).default(300).describe('the TTL (seconds) during the migration, set days before the cut-over'),
  restoreTtl: z
    .number()
    .int()
    .min(300)
    .max(604_800)
    .optional()
    .describe('the TTL (seconds) set at the end; without it, each record gets back the TTL it had before the migration'),
  checkResolvers: z.array(z.string()).default([]).describe('resolvers that must also answer the new records before the runbook goes on'),
});

const absolutePath = z.string().regex(/^\//, { message: 'must be an absolute path' });

/** A Postfix transport: `lmtp:inet:127.0.0.1:24`, `lmtp:unix:/path`, `smtp:[host]:25`. */
const transport = z
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

/** A folder pattern compiles as the sync engine compiles it (activities/imap/folder-plan.ts). */
const folderPattern = z.string().superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` });
  }
});

/**
 * Names a JavaScript object treats as its own machinery: as a rename rule, `__proto__`
 * would be dropped silently (or reach the prototype), the others shadow what every object
 * has. zod's record skips `__proto__` before any key check, so they are refused on the
 * raw input.
 */
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Folder renames, as the sync engine applies them: each side names a folder ("/" separates levels). */
const renames = z
  .record(z.string(), z.string())
  .superRefine((rules, ctx) => {
    const namesFolder = (name: string) => name.split('/').some((level) => level !== '');
    for (const [from, to] of Object.entries(rules)) {
      const bad = [from, to].find((name) => !namesFolder(name));
      if (bad !== undefined)
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(from)} to ${JSON.stringify(to)}: ${JSON.stringify(bad)} names no folder` });
    }
  })
  .default({});
// `value` is typed as the record's input so that MigrationSpecInput keeps its shape; at
// run time it may be anything, hence the checks.
const folderRenames = z.preprocess((value: z.input<typeof renames>, ctx) => {
  if (value && typeof value === 'object') {
    for (const key of RESERVED_KEYS.filter((k) => Object.hasOwn(value, k))) {
      ctx.addIssue({ code: 'custom', path: [key], input: value, message: 'JavaScript reserves this name: it cannot be a folder to rename' });
    }
  }
  return value;
}, renames);

/** How users lose access to host1 at cut-over (and get it back on rollback). */
const accessKind =
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
  }),
  z.strictObject({
    method: z.literal('dns').describe(accessKind),
    doveadmConfig: absolutePath
      .optional()
      .describe(
        "host1's dovecot.conf: once the parked name has reached clients, each wave's open sessions on host1 are closed (doveadm kick) before its final sync; the worker must run where host1's Dovecot runs",
      ),
  }),
]);

/**
 * Every gate a runbook can open. `dns-conflict` opens only when a DNS record is not what
 * mailshift recorded (someone else changed it), `step-failed` when a step keeps failing or
 * a phase rule refuses it, `canary` when mail for the domain does not reach host2: none
 * is ever automatic.
 */
export const gateName = z.enum(['start', 'cutover', 'switch-mx', 'shutdown-old', 'done', 'dns-conflict', 'step-failed', 'canary']);
export type GateName = z.infer<typeof gateName>;

export const migrationSpec = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'must be 1-63 lower-case letters, digits, dots, dashes or underscores' })
      .describe("the migration's name: the workflow id is migration-<name>"),
    scenario: z
      .enum(['classical', 'lucky'])
      .describe('classical: users get a new host name, user and password on host2; lucky: same host name and credentials, the host name moves'),
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
