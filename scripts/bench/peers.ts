// The tools bench:sync compares mailshift with, each run as its users run it:
//   mbsync (Debian isync), pushing host1 → a host2 user, with its own sync state;
//   dsync (`doveadm backup -R`), Dovecot's own migration path: host2's doveadm reads
//   host1 through imapc and writes the host2 user's storage directly;
//   imapsync (imapsync.ts), the vendored script with its Perl modules from Debian.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DovecotServer } from '../servers/dovecot';
import { timed, type TimedRun } from './measure';

export interface Endpoint {
  host: string;
  port: number;
}

export interface Login extends Endpoint {
  user: string;
  password: string;
}

/** An mbsync channel host1 (`INBOX.` prefix) → host2, its state in `<dir>/<name>-state`. */
export function mbsyncConfig(dir: string, name: string, host1: Login, host2: Login): string {
  const rc = path.join(dir, `${name}.mbsyncrc`);
  const state = path.join(dir, `${name}-state`);
  mkdirSync(state, { recursive: true });
  const account = (label: string, l: Login) => `IMAPAccount ${label}
Host ${l.host}
Port ${l.port}
User ${l.user}
Pass ${l.password}
SSLType None
AuthMechs LOGIN
`;
  writeFileSync(
    rc,
    `${account('host1', host1)}
IMAPStore host1
Account host1
Path INBOX.

${account('host2', host2)}
IMAPStore host2
Account host2

Channel bench
Near :host1:
Far :host2:
Patterns *
Create Far
Sync Push
Expunge None
CopyArrivalDate yes
# SyncState * keeps the state inside a Maildir near store; both stores are IMAP here.
SyncState ${state}/
`,
    { mode: 0o600 },
  );
  return rc;
}

export const mbsync = (rc: string): Promise<TimedRun> => timed('mbsync', ['-c', rc, '-a', '-q']);

/**
 * A doveadm configuration for host2 that reads host1 through imapc, with the settings
 * Dovecot's migration guide gives (sizes and headers in one FETCH, 20 messages prefetched).
 */
export function dsyncConfig(dir: string, host2: DovecotServer, host1: Login): string {
  const conf = path.join(dir, 'dsync.conf');
  writeFileSync(
    conf,
    `!include ${host2.conf}
imapc_host = ${host1.host}
imapc_port = ${host1.port}
imapc_user = ${host1.user}
imapc_password = ${host1.password}
imapc_features = rfc822.size fetch-headers
# host1's namespace: "INBOX." prefix; host2's has none.
imapc_list_prefix = INBOX
mail_prefetch_count = 20
`,
    { mode: 0o600 },
  );
  return conf;
}

/** One-way sync from host1 (imapc) into `user`'s storage on host2: Dovecot's `backup -R`. */
export const dsync = (conf: string, user: string): Promise<TimedRun> => timed('doveadm', ['-c', conf, 'backup', '-R', '-u', user, 'imapc:']);
