// A real Dovecot IMAP server on a loopback port, in its own directory: passwd-file users
// with maildir storage, a master-user passdb (admin login for many mailboxes), a deny
// list that cutting access writes to, and per-user quotas. Two layouts give the classic
// migration mismatch: `INBOX.` prefix with `.` separator, or `/` with no prefix. With
// `lmtp`, it also takes mail by LMTP (from the world's Postfix, scripts/servers/postfix.ts).
// With `oauth2`, it also takes OAuth2 tokens (XOAUTH2, OAUTHBEARER), checked by asking the
// authorization server (RFC 7662 introspection). Its dovecot.conf is written by dovecot-config.ts.
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, openSync, mkdirSync, writeFileSync, appendFileSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { dovecotConfig, mailOwner } from './dovecot-config';
import { writeOauth2Files } from './dovecot-oauth2';
import { privateDir, writeSecretFile } from './private-files';
import { freePorts, readPid, stopPid, waitFor, isAlive } from './process';
import { connect } from 'node:net';
import { ImapFlow } from 'imapflow';

export type DovecotLayout = 'inbox-prefix-dot' | 'slash-no-prefix';

export interface MailUser {
  user: string;
  password: string;
  /** Dovecot quota rule, e.g. `*:storage=10M`. */
  quota?: string;
}

export interface DovecotOptions {
  /** Short name used in the instance name and logs (host1, host2). */
  name: string;
  /** A fresh directory owned by this instance. */
  dir: string;
  layout: DovecotLayout;
  users: MailUser[];
  /** Master users: log in as `user*master` with the master's password. */
  masters?: { user: string; password: string }[];
  port?: number;
  /** Also listen for LMTP on this loopback port (true: a free one). */
  lmtp?: number | true;
  /** Also take OAuth2 tokens, introspected at this URL (`http://client:secret@host:port/path`). */
  oauth2?: { introspectionUrl: string };
  /** IMAP sessions a user may hold from one address (Dovecot's mail_max_userip_connections); 50 unless told. */
  maxUserIpConnections?: number;
  /** The longest IMAP command line taken (imap_max_line_length); Dovecot's 64 KB unless told. */
  maxLineLength?: number;
  /** Offer COMPRESS=DEFLATE (RFC 4978: the zlib and imap_zlib plugins); on unless false. */
  compress?: boolean;
  /** Serve this mail directory (another instance's `<dir>/mail`) instead of its own. */
  mailDir?: string;
}

export interface DovecotServer {
  name: string;
  host: string;
  port: number;
  /** The LMTP port, when started with `lmtp`. */
  lmtpPort?: number;
  dir: string;
  conf: string;
  layout: DovecotLayout;
  /** The file listing users whose logins are refused (one name a line). */
  denyFile: string;
  pid(): number | undefined;
  addUser(user: MailUser): void;
  /** Close every session of a user (doveadm kick). */
  kick(user: string): void;
  stop(): Promise<void>;
}

function passwdLine(u: MailUser): string {
  if (/[:\n]/.test(u.user) || /\n/.test(u.password)) throw new Error(`invalid test user ${u.user}`);
  const extra = u.quota ? `userdb_quota_rule=${u.quota}` : '';
  return `${u.user}:{PLAIN}${u.password}::::::${extra}\n`;
}

/** Whether the server on `port` greets with `banner` (IMAP `* OK`, LMTP `220`). */
function greets(port: number, banner: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.setTimeout(1000);
    sock.once('data', (b) => {
      sock.destroy();
      resolve(b.toString().startsWith(banner));
    });
    sock.once('error', () => resolve(false));
    sock.once('close', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

export async function startDovecot(options: DovecotOptions): Promise<DovecotServer> {
  const picked = await freePorts(Number(options.port === undefined) + Number(options.lmtp === true));
  const port = options.port ?? picked.shift()!;
  const lmtpPort = options.lmtp === true ? picked.shift()! : options.lmtp;
  const dir = options.dir;
  const owner = mailOwner();
  // The login and mail processes run as other users: they must reach base_dir (not list it).
  privateDir(dir, { traverse: true });
  for (const sub of ['run', 'state', 'mail', 'home']) mkdirSync(path.join(dir, sub), { recursive: true });
  for (const sub of ['mail', 'home']) chownSync(path.join(dir, sub), owner.uid, owner.gid);
  const conf = path.join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    dovecotConfig({
      name: options.name,
      dir,
      layout: options.layout,
      port,
      lmtpPort,
      oauth2: !!options.oauth2,
      maxUserIpConnections: options.maxUserIpConnections,
      maxLineLength: options.maxLineLength,
      compress: options.compress,
      mailDir: options.mailDir,
    }),
  );
  if (options.oauth2) writeOauth2Files(dir, options.oauth2.introspectionUrl, owner.auth);
  // Every password in the clear: only the auth process reads them.
  writeSecretFile(path.join(dir, 'users'), options.users.map(passwdLine).join(''), owner.auth);
  writeSecretFile(path.join(dir, 'masters'), (options.masters ?? []).map((m) => passwdLine(m)).join(''), owner.auth);
  const denyFile = path.join(dir, 'deny');
  if (!existsSync(denyFile)) writeFileSync(denyFile, '');

  const pidFile = path.join(dir, 'run', 'master.pid');
  // The daemon forks and keeps the stdio it was given: a file, not a pipe we wait on.
  const startLog = path.join(dir, 'start.log');
  const out = openSync(startLog, 'w');
  const res = spawnSync('dovecot', ['-c', conf], { stdio: ['ignore', out, out] });
  closeSync(out);
  if (res.status !== 0) throw new Error(`dovecot ${options.name} did not start: ${readFileSync(startLog, 'utf8')}`);
  try {
    await waitFor(`dovecot ${options.name} on port ${port}`, async () => (await greets(port, '* OK')) && (!lmtpPort || (await greets(lmtpPort, '220 '))));
  } catch (err) {
    const log = existsSync(path.join(dir, 'dovecot.log')) ? readFileSync(path.join(dir, 'dovecot.log'), 'utf8') : '';
    // Started but never ready: not left running behind the failure.
    const pid = readPid(pidFile);
    if (pid) await stopPid(pid);
    throw new Error(`${(err as Error).message}\n${log.slice(-2000)}`);
  }

  return {
    name: options.name,
    host: '127.0.0.1',
    port,
    lmtpPort,
    dir,
    conf,
    layout: options.layout,
    denyFile,
    pid: () => readPid(pidFile),
    addUser: (u) => appendFileSync(path.join(dir, 'users'), passwdLine(u)),
    kick: (user) => {
      spawnSync('doveadm', ['-c', conf, 'kick', user], { encoding: 'utf8' });
    },
    stop: async () => {
      const pid = readPid(pidFile);
      await stopPid(pid);
      if (pid) await waitFor(`dovecot ${options.name} to stop`, async () => !isAlive(pid), 10_000);
    },
  };
}

/**
 * Stops a Dovecot the way a crash or a hard restart does: server.stop() (SIGTERM to the
 * master), then SIGKILL to every process of that instance still alive. server.stop()
 * alone leaves the running imap processes serving their sessions to the end ; they are found by the instance name in their process title.
 */
export async function stopHard(server: DovecotServer): Promise<number[]> {
  await server.stop();
  const title = `dovecot-mailshift-${server.name}-${server.port}/`;
  const killed: number[] = [];
  for (const pid of readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.startsWith(title)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** A logged-in IMAP client of a test Dovecot (plain text on loopback), for tests and benches that look at its mailboxes. */
export async function connectImap(server: Pick<DovecotServer, 'host' | 'port'>, user: string, password: string): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
    disableCompression: true,
    disableAutoIdle: true,
  });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}
