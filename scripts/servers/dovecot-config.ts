// The dovecot.conf of a test server (see dovecot.ts): its users' files, mail layout, IMAP
// and LMTP listeners, and the system users its processes run as.
import { execFileSync } from 'node:child_process';
import { oauth2Blocks } from './dovecot-oauth2';
import type { DovecotLayout, DovecotOptions } from './dovecot';
import type { FileOwner } from './private-files';

/**
 * Dovecot refuses mail access as root: the mail processes run as a system user. `auth` is
 * the user its auth process (default_internal_user) runs as, which reads the passwd files.
 */
export function mailOwner(): { uid: number; gid: number; internalUser: string; loginUser: string; auth: FileOwner } {
  if (process.getuid?.() !== 0) {
    const name = execFileSync('id', ['-un']).toString().trim();
    const self = { uid: process.getuid!(), gid: process.getgid!() };
    return { ...self, internalUser: name, loginUser: name, auth: self };
  }
  const ids = (user: string) => ({ uid: Number(execFileSync('id', ['-u', user]).toString()), gid: Number(execFileSync('id', ['-g', user]).toString()) });
  return { ...ids('mail'), internalUser: 'dovecot', loginUser: 'dovenull', auth: ids('dovecot') };
}

function namespaceBlock(layout: DovecotLayout): string {
  const [separator, prefix] = layout === 'inbox-prefix-dot' ? ['.', 'INBOX.'] : ['/', ''];
  return `namespace inbox {
  inbox = yes
  separator = ${separator}
  prefix = ${prefix}
${['Drafts', 'Sent', 'Trash', 'Junk'].map((m) => `  mailbox ${m} {\n    special_use = \\${m}\n    auto = subscribe\n  }`).join('\n')}
}`;
}

/** LMTP for an MTA: recipient `alice@example.test` is the user `alice`, as IMAP logs in. */
const lmtpBlock = (port: number) => `service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
}
protocol lmtp {
  auth_username_format = %Ln
}
`;

export function dovecotConfig(
  o: Required<Pick<DovecotOptions, 'name' | 'dir' | 'layout'>> &
    Pick<DovecotOptions, 'maxUserIpConnections' | 'maxLineLength' | 'compress' | 'mailDir'> & { port: number; lmtpPort?: number; oauth2?: boolean },
): string {
  const owner = mailOwner();
  const d = o.dir;
  const mail = o.mailDir ?? `${d}/mail`;
  // LAYOUT=fs lets `/` be the real hierarchy separator (Maildir++ stores `.` itself).
  const location = o.layout === 'slash-no-prefix' ? `maildir:${mail}/%u:LAYOUT=fs` : `maildir:${mail}/%u`;
  return `# mailshift test server ${o.name}
instance_name = mailshift-${o.name}-${o.port}
base_dir = ${d}/run
state_dir = ${d}/state
log_path = ${d}/dovecot.log
info_log_path = ${d}/dovecot.log
protocols = imap${o.lmtpPort ? ' lmtp' : ''}
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login${o.oauth2 ? ' xoauth2 oauthbearer' : ''}
auth_master_user_separator = *
default_internal_user = ${owner.internalUser}
default_login_user = ${owner.loginUser}
mail_location = ${location}
mail_uid = ${owner.uid}
mail_gid = ${owner.gid}
first_valid_uid = ${owner.uid}
last_valid_uid = ${owner.uid}
first_valid_gid = ${owner.gid}
last_valid_gid = ${owner.gid}
mail_plugins = $mail_plugins quota${o.compress !== false ? ' zlib' : ''}
plugin {
  quota = maildir:User quota
}
${namespaceBlock(o.layout)}
# Users on the deny list cannot log in (access cut at cut-over); an admin who already
# authenticated as master user still can, so the final sync and post-syncs reach host1.
passdb {
  driver = passwd-file
  args = ${d}/deny
  deny = yes
  skip = authenticated
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${d}/masters
  master = yes
  pass = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${d}/users${o.oauth2 ? '\n  mechanisms = plain login' : ''}
}
${o.oauth2 ? oauth2Blocks(d) : ''}userdb {
  driver = passwd-file
  args = ${d}/users
  default_fields = uid=${owner.uid} gid=${owner.gid} home=${d}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${o.port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  inet_listener http {
    port = 0
  }
}
protocol imap {
  mail_plugins = $mail_plugins imap_quota${o.compress !== false ? ' imap_zlib' : ''}
  mail_max_userip_connections = ${o.maxUserIpConnections ?? 50}
${o.maxLineLength ? `  imap_max_line_length = ${o.maxLineLength}\n` : ''}}
${o.lmtpPort ? lmtpBlock(o.lmtpPort) : ''}`;
}
