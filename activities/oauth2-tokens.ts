// OAuth2 access tokens for IMAP logins (mechanism oauth2): obtained from the authorization
// server with openid-client, cached per worker process, refreshed before they expire.
// Tokens and secrets stay in this process's memory: failures carry our own words and the
// server's OAuth2 error code, never the token, the secret or the original error object.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import * as oidc from 'openid-client';
import { resolveSecret } from './credentials';
import { invalidRequest } from './imap/errors';
import type { OAuth2Client } from './imap/types';

/** The authorization server refused (wrong client secret, revoked refresh token): an operator must act. */
export const OAUTH2_REFUSED = 'OAuth2Refused';
/** The authorization server cannot be reached or failed: worth another attempt. */
export const OAUTH2_UNAVAILABLE = 'OAuth2Unavailable';

export interface TokenSource {
  /**
   * A token valid for a while yet; `forceRefresh` when the IMAP server refused the cached
   * one. `who` names the login in failures (mailboxes of an app-only grant share a source).
   */
  accessToken(who: string, options?: { forceRefresh?: boolean }): Promise<string>;
  /** Every token and secret this source holds, for redacting server text. */
  secrets(): string[];
}

interface Cached {
  accessToken: string;
  /** Refresh a little early: a quarter of the token's life, at most a minute. */
  renewAt: number;
}

// One source per client and refresh token: mailboxes sharing an app-only grant share its token.
const sources = new Map<string, TokenSource>();

/** The token source for `client`, made on first use. `who` names the login in failures. */
export async function tokenSource(client: OAuth2Client, who: string): Promise<TokenSource> {
  const clientSecret = await resolveSecret(client.clientSecret);
  const refreshToken = client.grant === 'refresh_token' ? await resolveSecret(requireRef(client.refreshToken, who)) : undefined;
  // Keyed by the secrets' digest too: a refresh token the operator replaces starts afresh.
  const key = createHash('sha256')
    .update(JSON.stringify([client.issuer, client.tokenEndpoint, client.clientId, client.grant, client.scope, clientSecret, refreshToken]))
    .digest('hex');
  let source = sources.get(key);
  if (!source) {
    source = newSource(client, clientSecret, refreshToken);
    sources.set(key, source);
  }
  return source;
}

function requireRef(ref: string | undefined, who: string): string {
  if (!ref) throw invalidRequest(`${who}: oauth2 grant refresh_token needs oauth2.refreshToken`);
  return ref;
}

function newSource(client: OAuth2Client, clientSecret: string, firstRefreshToken: string | undefined): TokenSource {
  let config: Promise<oidc.Configuration> | undefined;
  // Rotated refresh tokens replace this one: the newest lives here only (the reference cannot be rewritten).
  let refreshToken = firstRefreshToken;
  let cached: Cached | undefined;
  // One request at a time: sending a rotated-away refresh token again revokes the whole grant.
  let pending: Promise<string> | undefined;
  const secrets = () => [clientSecret, refreshToken, firstRefreshToken, cached?.accessToken].filter((s): s is string => !!s && s.length >= 3);

  async function fetchToken(): Promise<string> {
    try {
      config ??= configuration(client, clientSecret);
      const c = await config;
      const params = client.scope ? { scope: client.scope } : undefined;
      const t = refreshToken ? await oidc.refreshTokenGrant(c, refreshToken, params) : await oidc.clientCredentialsGrant(c, params);
      if (t.refresh_token) refreshToken = t.refresh_token;
      const lifeMs = (t.expiresIn() ?? 3600) * 1000;
      cached = { accessToken: t.access_token, renewAt: Date.now() + lifeMs - Math.min(60_000, lifeMs / 4) };
      return cached.accessToken;
    } catch (err) {
      if (!(err instanceof oidc.ResponseBodyError)) config = undefined; // rediscover after a network failure
      throw err;
    }
  }
  return {
    accessToken: async (who, { forceRefresh = false } = {}) => {
      if (!forceRefresh && cached && Date.now() < cached.renewAt) return cached.accessToken;
      pending ??= fetchToken().finally(() => (pending = undefined));
      try {
        return await pending;
      } catch (err) {
        throw tokenFailure(err, who, secrets());
      }
    },
    secrets,
  };
}

function configuration(client: OAuth2Client, clientSecret: string): Promise<oidc.Configuration> {
  // The spec allows plain http only to loopback (a test authorization server).
  const url = new URL((client.issuer ?? client.tokenEndpoint)!);
  const insecure = url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
  if (client.issuer) return oidc.discovery(url, client.clientId, clientSecret, undefined, insecure);
  const config = new oidc.Configuration({ issuer: url.origin, token_endpoint: url.href }, client.clientId, clientSecret);
  if (insecure) oidc.allowInsecureRequests(config);
  return Promise.resolve(config);
}

/** Refusals are final until an operator acts; anything else (network, 5xx) is retried. */
function tokenFailure(err: unknown, who: string, secrets: string[]): ApplicationFailure {
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text).slice(0, 300);
  if (err instanceof oidc.ResponseBodyError && err.status < 500) {
    const description = err.error_description ? ` (${redact(err.error_description)})` : '';
    return ApplicationFailure.nonRetryable(
      `${who}: the authorization server refused a token: ${err.error}${description}; check the client id, its secret and the refresh token`,
      OAUTH2_REFUSED,
    );
  }
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  const reason = e.cause?.code ?? e.code ?? 'no answer';
  return ApplicationFailure.retryable(`${who}: cannot get a token from the authorization server: ${redact(reason)}`, OAUTH2_UNAVAILABLE);
}
