// Dovecot taking OAuth2 tokens (XOAUTH2, OAUTHBEARER) beside passwords: its oauth2 passdb
// asks the authorization server about each token (RFC 7662 introspection).
import path from 'node:path';
import { writeSecretFile, type FileOwner } from './private-files';

/**
 * Two oauth2 passdbs: a user's token must name the login user in its `username` claim; an
 * app-only token (scope imap, Microsoft 365's client-credentials access) opens any mailbox
 * of the claim's domain. Failed logins answer at once and cost no per-address penalty
 * (default: 2 s, then 4 s, 8 s .. before the next login is even answered).
 */
export const oauth2Blocks = (dir: string) => `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2-user.conf.ext
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2-app.conf.ext
}
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;

/** The introspection URL holds Dovecot's client secret: only the auth process reads it. */
export function writeOauth2Files(dir: string, introspectionUrl: string, owner: FileOwner): void {
  const common = `introspection_mode = post\nintrospection_url = ${introspectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`;
  writeSecretFile(path.join(dir, 'oauth2-user.conf.ext'), common, owner);
  writeSecretFile(path.join(dir, 'oauth2-app.conf.ext'), `${common}username_format = %Ld\nscope = imap\n`, owner);
}
