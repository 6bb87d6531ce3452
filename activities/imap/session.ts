// One logged-in IMAP connection to host1 or host2. The credential reference is resolved
// here (or an OAuth2 access token obtained, ../oauth2-tokens.ts) and handed to imapflow
// only: it never leaves this function in a value we return, log or throw (failures are
// rebuilt from our own words, with the secret redacted).
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { resolveSecret } from '../credentials';
import { tokenSource, type TokenSource } from '../oauth2-tokens';
import { invalidRequest, loginFailure, type FailureContext } from './errors';
import type { ImapAccount, ImapSide } from './types';

export interface ImapSession {
  readonly side: ImapSide;
  readonly client: ImapFlow;
  /** Side, mailbox, login and redaction, for every failure raised on this connection. */
  readonly ctx: FailureContext;
  /** The personal namespace: folder names are `prefix` + levels joined by `delimiter`. */
  readonly namespace: { prefix: string; delimiter: string };
  /** The server takes several messages in one APPEND (RFC 3502). */
  readonly multiappend: boolean;
  close(): Promise<void>;
}

/** How a session talks, beyond the account. */
export interface SessionOptions {
  /** Ask for COMPRESS=DEFLATE (RFC 4978) when the server offers it. */
  compress?: boolean;
}

/** The imapflow options for an account (pure: the unit tests check the auth choices). */
export function imapflowOptions(account: ImapAccount, secret: string, options: SessionOptions = {}): ImapFlowOptions {
  const { endpoint, login } = account;
  const auth: NonNullable<ImapFlowOptions['auth']> = { user: login.user };
  const mechanism = login.mechanism ?? 'password';
  if (mechanism === 'xoauth2' || mechanism === 'oauth2') {
    // imapflow sends OAUTHBEARER when offered, else XOAUTH2.
    if (login.masterUser) throw invalidRequest(`${login.user}: an admin (master user) login cannot use an OAuth2 token`);
    auth.accessToken = secret;
  } else if (login.masterUser && login.masterUserSeparator) {
    // Dovecot's own form: LOGIN alice*admin with the admin's password.
    auth.user = `${login.user}${login.masterUserSeparator}${login.masterUser}`;
    auth.pass = secret;
  } else if (login.masterUser) {
    // The standard form: SASL PLAIN, authenticate as the admin, authorize as the user.
    auth.user = login.masterUser;
    auth.authzid = login.user;
    auth.pass = secret;
    auth.loginMethod = 'AUTH=PLAIN';
  } else {
    auth.pass = secret;
  }
  return {
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.tls === 'implicit',
    // STARTTLS is required when asked for: a stripped capability must not downgrade us.
    doSTARTTLS: endpoint.tls === 'starttls' ? true : endpoint.tls === 'none' ? false : undefined,
    servername: endpoint.servername,
    tls: { rejectUnauthorized: endpoint.verifyCertificate ?? true },
    auth,
    // COMPRESS=DEFLATE costs CPU for nothing on a LAN (measured 78 s vs 49 s on loopback):
    // only on request, for slow links.
    disableCompression: !options.compress,
    // We drive the connection ourselves; IDLE between commands would only add round trips.
    disableAutoIdle: true,
    // imapflow's log would carry folder names and server text we do not control; failures
    // are reported through our own errors instead.
    logger: false,
    clientInfo: { name: 'mailshift' },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 5 * 60_000,
  };
}

/** The password or access token to log in with, and what to redact from server text. */
interface Secret {
  value: string;
  tokens?: TokenSource;
}

async function secretOf(side: ImapSide, account: ImapAccount, mailbox: string, forceRefresh = false): Promise<Secret> {
  const { login } = account;
  if (login.mechanism !== 'oauth2') {
    if (!login.credential) throw invalidRequest(`${side} mailbox ${mailbox}: login ${login.user} has no credential`);
    return { value: await resolveSecret(login.credential) };
  }
  if (!login.oauth2) throw invalidRequest(`${side} mailbox ${mailbox}: login ${login.user} has mechanism oauth2 without oauth2`);
  const who = `${side} mailbox ${mailbox} (login ${login.user})`;
  const tokens = await tokenSource(login.oauth2, who);
  return { value: await tokens.accessToken(who, { forceRefresh }), tokens };
}

async function connectWith(account: ImapAccount, secret: Secret, options: SessionOptions): Promise<ImapFlow> {
  const client = new ImapFlow(imapflowOptions(account, secret.value, options));
  // imapflow reports broken connections as 'error' events too; without a listener Node
  // would treat them as uncaught. The command in flight rejects on its own.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

export async function openSession(side: ImapSide, account: ImapAccount, mailbox: string, options: SessionOptions = {}): Promise<ImapSession> {
  let secret = await secretOf(side, account, mailbox);
  const redact = (text: string) => {
    const known = secret.tokens ? secret.tokens.secrets() : [secret.value];
    return known.filter((s) => s.length >= 3).reduce((t, s) => t.split(s).join('***'), text);
  };
  const ctx: FailureContext = { side, mailbox, user: account.login.user, redact };
  let client: ImapFlow;
  try {
    client = await connectWith(account, secret, options).catch(async (err: { serverResponseCode?: string }) => {
      // A token refused before its time (revoked, or the clocks disagree): one fresh token.
      if (!secret.tokens || err?.serverResponseCode !== 'AUTHENTICATIONFAILED') throw err;
      secret = await secretOf(side, account, mailbox, true);
      return connectWith(account, secret, options);
    });
  } catch (err) {
    throw loginFailure(err, ctx);
  }
  const ns = client.namespace;
  return {
    side,
    client,
    ctx,
    namespace: { prefix: ns?.prefix ?? '', delimiter: ns?.delimiter ?? '/' },
    multiappend: client.capabilities.has('MULTIAPPEND'),
    close: async () => {
      try {
        await client.logout();
      } catch {
        // Already gone: nothing to tidy.
      }
      client.close();
    },
  };
}
