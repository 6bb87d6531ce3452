// The spec's mailboxes: each login on host1 and host2 (password, XOAUTH2, or OAuth2 that
// renews itself), listed in the spec or read from a file or an https URL (mailboxList).
import { z } from 'zod';
import { imapServer, secretRef } from './spec-fields';

/** https, or plain http to this machine only (a test server on loopback); false for what is no URL. */
export function isFetchableUrl(u: string): boolean {
  if (!URL.canParse(u)) return false;
  const { protocol, hostname: host } = new URL(u);
  return protocol === 'https:' || (protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(host));
}
const HTTPS_ONLY = 'must be an https:// URL (http:// only to 127.0.0.1 or localhost)';

export const tokenUrl = z.url().refine(isFetchableUrl, HTTPS_ONLY);

export const oauth2 = z
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

export const login = z.strictObject({
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

export type LoginInput = Partial<z.output<typeof login>>;

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

export const destinationLogin = login.extend({ server: imapServer.optional().describe('overrides host2 for this mailbox') });

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

/** Why `from` names no list mailshift may read, if it does not. */
function listSourceProblem(from: string): string | undefined {
  if (/^file:\/\S/.test(from)) return undefined;
  if (!/^https?:\/\//i.test(from) || !URL.canParse(from)) return 'must be file:/absolute/path of a CSV or JSONL file, or its https:// URL';
  const url = new URL(from);
  // The spec is the workflow's input, kept in its history: a password has no place there.
  if (url.username || url.password) return 'must not hold a user name or password: give the Authorization header as mailboxList.authorization, by reference';
  return isFetchableUrl(from) ? undefined : HTTPS_ONLY;
}

/** The mailboxes by reference: a file in the shape administrators already have (activities/mailbox-list.ts reads it). */
export const mailboxList = z
  .strictObject({
    from: z
      .string()
      .superRefine((from, ctx) => {
        const message = listSourceProblem(from);
        if (message) ctx.addIssue({ code: 'custom', message });
      })
      .describe(
        'file:/absolute/path, readable where mailshift start runs and on every worker; or an https:// URL they can all fetch (without user or password in it)',
      ),
    authorization: secretRef
      .optional()
      .describe('for a list behind authentication: the Authorization header sent with the https request (e.g. Bearer …), by reference'),
    format: z
      .enum(['csv', 'jsonl'])
      .optional()
      .describe(
        'csv: a header row with Exchange migration batch columns EmailAddress (the login on host2), UserName (on host1), Password (a secret reference for host1), and DestinationPassword, Wave, Contact; jsonl: one mailbox object per line. Default: by the file name ending (.csv, .jsonl) or, for a URL, its Content-Type (text/csv, application/jsonl)',
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
  })
  .superRefine((l, ctx) => {
    if (l.authorization && l.from.startsWith('file:'))
      ctx.addIssue({ code: 'custom', path: ['authorization'], message: 'is only sent with a list fetched by URL' });
  });
