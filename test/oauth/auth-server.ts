// A real OAuth2 authorization server for tests: oidc-provider on a loopback port. One client
// (mailshift) with the client_credentials and refresh_token grants, another (dovecot) that
// introspects tokens; refresh tokens rotate, as Microsoft's do. Token lifetimes are the
// test's choice (a few seconds, so that tokens expire during a sync).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface AuthServer {
  issuer: string;
  /** Introspection as Dovecot's oauth2 passdb wants it: the client's credentials in the URL. */
  introspectionUrl: string;
  clientSecret: string;
  /** Every access and refresh token handed out so far, and the grant of each request. */
  issued: { grant: string; tokens: string[] }[];
  /** What a user's consent would leave behind: a grant and a refresh token for `accountId`. */
  seedRefreshToken(accountId: string): Promise<string>;
  /** Lifetime of the access tokens issued from now on, in seconds. */
  setTtl(seconds: number): void;
  /** Forgets every access token issued so far, as a revocation would: introspection says inactive. */
  revokeAccessTokens(): Promise<void>;
  close(): Promise<void>;
}

export async function startAuthServer({ ttl: firstTtl }: { ttl: number }): Promise<AuthServer> {
  let ttl = firstTtl;
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const clientSecret = 'mailshift-client-secret-7d1c';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'mailshift',
        client_secret: clientSecret,
        grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
        response_types: [],
        redirect_uris: [],
        scope: 'openid offline_access imap',
      },
      { client_id: 'dovecot', client_secret: 'dovecot-secret', grant_types: [], response_types: [], redirect_uris: [] },
    ],
    scopes: ['openid', 'offline_access', 'imap'],
    features: {
      clientCredentials: { enabled: true },
      // Only Dovecot, or a client asking about its own token.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => client.clientId === 'dovecot' || client.clientId === token.clientId },
      devInteractions: { enabled: false },
    },
    ttl: { AccessToken: () => ttl, ClientCredentials: () => ttl, IdToken: 3600, RefreshToken: 86400, Grant: 86400 },
    rotateRefreshToken: true,
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // Dovecot's username_attribute: the user for user tokens, a stand-in for the tenant for app tokens.
    extraTokenClaims: async (_ctx, token) => ({
      username: token.kind === 'ClientCredentials' ? 'app@example.test' : (token as { accountId?: string }).accountId,
    }),
  });
  const issued: AuthServer['issued'] = [];
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.path === '/token' && body?.access_token) {
      const grant = String(ctx.oidc?.params?.grant_type ?? '');
      issued.push({ grant, tokens: [body.access_token, body.refresh_token].filter((t): t is string => typeof t === 'string') });
    }
  });
  server.on('request', provider.callback());

  async function seedRefreshToken(accountId: string): Promise<string> {
    const client = await provider.Client.find('mailshift');
    if (!client) throw new Error('no client mailshift');
    const grant = new provider.Grant({ accountId, clientId: 'mailshift' });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      client,
      accountId,
      grantId,
      scope: 'openid offline_access',
      gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000),
    });
    return token.save();
  }
  async function revokeAccessTokens(): Promise<void> {
    for (const t of issued.map((i) => i.tokens[0])) {
      await (await provider.AccessToken.find(t))?.destroy();
      await (await provider.ClientCredentials.find(t))?.destroy();
    }
  }
  return {
    issuer,
    introspectionUrl: `http://dovecot:dovecot-secret@127.0.0.1:${port}/token/introspection`,
    clientSecret,
    issued,
    seedRefreshToken,
    setTtl: (seconds) => void (ttl = seconds),
    revokeAccessTokens,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
