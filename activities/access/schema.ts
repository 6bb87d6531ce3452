// How users lose access to host1 at cut-over (and get it back on rollback), as zod
// schemas the workflow spec can reuse. Compatible with workflows/spec.ts `accessMethod`
// (same methods, same field names; a few optional fields more, all with defaults).
//   notify-only        nothing is enforced: users were told to stop (see activities/notify)
//   command            an operator's program: `<path> cut|restore <user>` (see command.ts)
//   http               POST {action,user,phase} to an endpoint (see http.ts)
//   dovecot-deny-list  a deny list host1's Dovecot consults, then kick sessions (see deny-list.ts)
//   dns                lucky scenario: the IMAP host name is parked on a host without IMAP.
//                      That is a DNS change, done (and recorded for rollback) by the DNS
//                      activities (activities/dns); cutAccess refuses it so the workflow
//                      cannot believe access was cut when nothing happened. With
//                      doveadmConfig, closeSessions then kicks the sessions still open.
import { z } from 'zod';

/** A secret by reference: `env:NAME` or `file:/absolute/path` (same rule as workflows/spec.ts). */
export const secretRef = z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
  message: 'must be a secret reference: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)',
});

export const absolutePath = z.string().regex(/^\//, { message: 'must be an absolute path' });

/** A `command` method's fields (access, provisioning): the operator's program, run without a shell; it must be idempotent. */
export const programFields = {
  path: absolutePath,
  timeoutSeconds: z.number().int().min(1).max(3600).default(60),
  /** Worker environment variables the program may see (it gets only these and PATH, HOME, LANG, TZ). */
  passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
};

/** An `http` method's fields (access, provisioning): the operator's endpoint, posted JSON. */
export const endpointFields = {
  url: z.url({ protocol: /^https?$/ }),
  /** Sent as `Authorization: Bearer <token>`. */
  token: secretRef.optional(),
  timeoutSeconds: z.number().int().min(1).max(300).default(30),
};

export const accessMethodConfig = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('notify-only') }),
  // Run as `<path> <cut|restore> <user>`.
  z.strictObject({ method: z.literal('command'), ...programFields }),
  z.strictObject({ method: z.literal('http'), ...endpointFields }),
  z.strictObject({
    method: z.literal('dovecot-deny-list'),
    /** The passwd-file that host1's `passdb { driver = passwd-file  deny = yes }` reads. */
    denyFile: absolutePath,
    /** host1's dovecot.conf: when given, cut users' open sessions are closed (`doveadm -c <conf> kick <user>`). */
    doveadmConfig: absolutePath.optional(),
    doveadmPath: z.string().min(1).default('doveadm'),
  }),
  z.strictObject({
    method: z.literal('dns'),
    /** host1's dovecot.conf: when given, open sessions are closed once the parked name has reached clients (closeSessions). */
    doveadmConfig: absolutePath.optional(),
  }),
]);
export type AccessMethodConfig = z.output<typeof accessMethodConfig>;
export type AccessMethodConfigInput = z.input<typeof accessMethodConfig>;
export type AccessMethodName = AccessMethodConfig['method'];

/** A mailbox login as host1 knows it: no control characters, never an option-like `-x`. */
export const accessUser = z
  .string()
  .min(1)
  .max(320)
  .regex(/^[^-\s\p{Cc}][^\p{Cc}]*$/u, { message: 'must be a login name (no control characters, not starting with "-" or a space)' });

export const accessInput = z.strictObject({
  method: accessMethodConfig,
  users: z.array(accessUser),
  /** Why, for the operator's program and logs: e.g. `cutover`, `rollback`, `shutdown-old`. */
  phase: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]+$/u, { message: 'must be one line of text' }),
});
export type AccessInput = z.input<typeof accessInput>;

/** closeSessions: `doveadm -c <doveadmConfig> kick <user>` for each user, on host1. */
export const closeSessionsInput = z.strictObject({
  doveadmConfig: absolutePath,
  doveadmPath: z.string().min(1).default('doveadm'),
  users: z.array(accessUser),
});
export type CloseSessionsInput = z.input<typeof closeSessionsInput>;

export interface SessionsClosed {
  user: string;
  /** Whether the user had open sessions (now closed). */
  sessionsKicked: boolean;
}

export type AccessAction = 'cut' | 'restore';
/** `not-enforced`: the notify-only method, where nothing on host1 changes. */
export type AccessOutcome = 'cut' | 'already-cut' | 'restored' | 'already-open' | 'not-enforced';

export interface AccessUserResult {
  user: string;
  outcome: AccessOutcome;
  /** dovecot-deny-list with doveadmConfig: whether open sessions were found and closed. */
  sessionsKicked?: boolean;
}

export interface AccessReport {
  method: AccessMethodName;
  action: AccessAction;
  phase: string;
  users: AccessUserResult[];
}

/** The outcomes an action may report, first the one meaning "changed now". */
export const OUTCOMES: Record<AccessAction, readonly [AccessOutcome, AccessOutcome]> = {
  cut: ['cut', 'already-cut'],
  restore: ['restored', 'already-open'],
};
