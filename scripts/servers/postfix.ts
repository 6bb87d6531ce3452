// A real MTA for the test world: Debian's Postfix as a private instance (its own config,
// queue and log directories, one loopback SMTP listener, no system daemon), taking mail
// for the world's domains and delivering it by LMTP into a Dovecot (scripts/servers/dovecot.ts).
// What was verified on these machines, pitfalls included: ../shared/recipes/postfix.md.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { privateDir } from './private-files';
import { isAlive, readPid, waitFor } from './process';

const run = promisify(execFile);

export interface PostfixOptions {
  /** Its host name in banners and logs (mx1 → `mx1.mailshift.test`). */
  name: string;
  /** A directory owned by this instance (kept across restarts: the queue lives there). */
  dir: string;
  /** The loopback address it listens on: the address its MX host name resolves to. */
  address: string;
  port: number;
  /** The mail domains it takes mail for. */
  domains: string[];
  /** The Dovecot LMTP listener it delivers to. */
  lmtp: { host: string; port: number };
}

export interface PostfixServer {
  name: string;
  host: string;
  port: number;
  /** Its config directory: every postfix/postqueue/postsuper command takes `-c` with it. */
  configDir: string;
  /** Its mail log (deliveries, refusals). */
  logFile: string;
  stop(): Promise<void>;
}

// Pitfalls 4 and 9-13 of the recipe: a compatibility level (else smtpd dies), no local
// delivery and no relaying anywhere, IPv4 only, logs to a file of its own. The listener
// names its address in master.cf: inet_interfaces refuses 127.0.0.2, which no interface
// carries (the kernel still routes all of 127/8 to loopback).
function mainCf(o: PostfixOptions): string {
  const d = o.dir;
  return `# mailshift test MTA ${o.name}
compatibility_level = 3.6
queue_directory = ${d}/queue
data_directory = ${d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = ${o.name}.mailshift.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
relay_domains =
virtual_mailbox_domains = ${o.domains.join(', ')}
virtual_transport = lmtp:inet:${o.lmtp.host}:${o.lmtp.port}
default_transport = error:outbound mail disabled in tests
relay_transport = error:outbound mail disabled in tests
# The maps mailshift's hold and release own (activities/mail-flow/hold.ts).
smtpd_recipient_restrictions = check_recipient_access hash:${d}/etc/mailshift-hold
transport_maps = hash:${d}/etc/mailshift-transport
maillog_file = ${d}/log/maillog
maillog_file_prefixes = ${d}/log
biff = no
`;
}

// Pitfall 5: no chroot anywhere (the LMTP client could not reach Dovecot's listener).
function masterCf(o: PostfixOptions): string {
  return `# service type private unpriv chroot wakeup maxproc command
${o.address}:${o.port} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`;
}

/** Whether `address:port` can be bound (a plain bind fails while Postfix listens there, SO_REUSEPORT or not). */
function bindable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, address, () => srv.close(() => resolve(true)));
  });
}

/** A port free on every one of `addresses`: the world's MX hosts all take mail on one port, as on the Internet. */
export async function freePortOn(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await Promise.all(addresses.map((a) => bindable(a, port)))).every(Boolean)) return port;
  }
  throw new Error(`no port free on all of ${addresses.join(', ')}`);
}

const postfix = (configDir: string, ...args: string[]) => spawnSync('postfix', ['-c', configDir, ...args], { stdio: 'ignore' });

/**
 * `postfix stop`, then waits until its master has exited: a start right after would find
 * it still holding its lock. By its pid file, not `postfix status` (1.5 s on a directory never started).
 */
async function stopMaster(dir: string, configDir: string): Promise<void> {
  const pid = readPid(path.join(dir, 'queue', 'pid', 'master.pid'));
  if (!pid || !isAlive(pid)) return;
  postfix(configDir, 'stop');
  await waitFor(`postfix ${dir} to stop`, async () => !isAlive(pid), 10_000);
}

function smtpGreets(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, address);
    sock.setTimeout(1000);
    sock.once('data', (b) => {
      sock.end('QUIT\r\n');
      resolve(b.toString().startsWith('220 '));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
  });
}

/** Listening sockets on `address:port` (pitfall 7: a second Postfix on the same port starts without complaint). */
async function listeners(address: string, port: number): Promise<number> {
  const { stdout } = await run('ss', ['-Hltn', `src ${address}:${port}`]);
  return stdout.split('\n').filter((l) => l.trim()).length;
}

export async function startPostfix(o: PostfixOptions): Promise<PostfixServer> {
  if (process.getuid?.() !== 0) throw new Error('a private Postfix needs root (postfix, postqueue and postsuper refuse other users)');
  // Pitfall 6: the postfix user must enter every directory on the way to its queue.
  privateDir(o.dir, { traverse: true });
  const configDir = path.join(o.dir, 'etc');
  for (const sub of ['etc', 'queue', 'log']) mkdirSync(path.join(o.dir, sub), { recursive: true });
  const mainFile = path.join(configDir, 'main.cf');
  writeFileSync(mainFile, mainCf(o));
  // Measured: with a main.cf written in the last second or two, `postfix start` takes 1.5-2.5 s
  // instead of 0.2 s. Its content is what matters, not its age.
  const past = new Date(Date.now() - 10_000);
  utimesSync(mainFile, past, past);
  writeFileSync(path.join(configDir, 'master.cf'), masterCf(o));
  for (const map of ['mailshift-hold', 'mailshift-transport']) {
    const file = path.join(configDir, map);
    if (!existsSync(file)) writeFileSync(file, '');
    spawnSync('postmap', ['-c', configDir, `hash:${file}`], { stdio: 'ignore' });
  }
  const logFile = path.join(o.dir, 'log', 'maillog');
  const stop = () => stopMaster(o.dir, configDir);
  // A master left running by an earlier run (pitfall 8: it outlives who started it).
  await stop();
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '');
  if (postfix(configDir, 'start').status !== 0) {
    // Pitfall 2: without a tty `postfix` says why only in its log, and some failures come
    // before it has one: ask again on a pseudo-terminal.
    const why = spawnSync('script', ['-qec', `postfix -c '${configDir}' start`, '/dev/null'], { encoding: 'utf8' }).stdout;
    throw new Error(`postfix ${o.name} did not start: ${why.trim()}\n${log()}`);
  }
  try {
    await waitFor(`postfix ${o.name} on ${o.address}:${o.port}`, () => smtpGreets(o.address, o.port));
    const count = await listeners(o.address, o.port);
    if (count !== 1) throw new Error(`${count} servers listen on ${o.address}:${o.port}: another MTA shares the port`);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log()}`);
  }
  return { name: o.name, host: o.address, port: o.port, configDir, logFile, stop };
}
