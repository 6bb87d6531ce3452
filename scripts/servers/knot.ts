// A real authoritative DNS server (Knot) on a loopback port, in its own directory,
// serving one zone that accepts RFC 2136 updates signed with a TSIG key.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnAuthoritative, writeKeyFile, zoneFileText } from './dns-daemon';
import { privateDir, writeSecretFile } from './private-files';
import { freePort, stopPid } from './process';

export interface TsigKey {
  name: string;
  algorithm: 'hmac-sha256';
  /** base64 */
  secret: string;
}

export interface KnotOptions {
  dir: string;
  zone: string;
  /** Zone file body after $ORIGIN/$TTL (SOA and NS are added). */
  records: string;
  port?: number;
  key?: TsigKey;
}

export interface KnotServer {
  host: string;
  port: number;
  zone: string;
  key: TsigKey;
  /** The key in BIND's format (`nsupdate -k`), mode 0600. */
  keyFile: string;
  pid: number;
  stop(): Promise<void>;
}

export function knotConfig(dir: string, port: number, zone: string, key: TsigKey): string {
  return `server:
    rundir: "${dir}/run"
    pidfile: "${dir}/run/knot.pid"
    listen: 127.0.0.1@${port}
database:
    storage: "${dir}/db"
control:
    listen: "${dir}/run/knot.sock"
log:
  - target: stderr
    any: info
key:
  - id: ${key.name}
    algorithm: ${key.algorithm}
    secret: ${key.secret}
acl:
  - id: update-acl
    key: ${key.name}
    action: update
template:
  - id: default
    storage: "${dir}/zones"
    file: "%s.zone"
zone:
  - domain: ${zone}
    acl: update-acl
`;
}

function readKeyFile(file: string): TsigKey | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const name = /key "([^"]+)"/.exec(text)?.[1];
  const secret = /secret "([^"]+)"/.exec(text)?.[1];
  return name && secret ? { name, algorithm: 'hmac-sha256', secret } : undefined;
}

export async function startKnot(options: KnotOptions): Promise<KnotServer> {
  const { dir, zone } = options;
  const port = options.port ?? (await freePort());
  const keyFile = path.join(dir, 'tsig.key');
  // Restarted in the same directory (the sandbox), Knot keeps its key and the zone as
  // the updates left it; a fresh directory gets a new key and the given records.
  const key: TsigKey = options.key ?? readKeyFile(keyFile) ?? { name: 'mailshift-key', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  privateDir(dir); // its control socket (run/knot.sock) takes any command from who reaches it
  for (const sub of ['run', 'db', 'zones']) mkdirSync(path.join(dir, sub), { recursive: true });
  const zoneFile = path.join(dir, 'zones', `${zone}.zone`);
  if (!existsSync(zoneFile)) {
    writeFileSync(zoneFile, zoneFileText(zone, options.records));
  }
  const conf = path.join(dir, 'knot.conf');
  writeSecretFile(conf, knotConfig(dir, port, zone, key)); // it holds the TSIG secret
  writeKeyFile(keyFile, key);

  const pid = await spawnAuthoritative({ what: 'knot', command: 'knotd', args: ['-c', conf], logFile: path.join(dir, 'knot.log'), port, zone });
  return { host: '127.0.0.1', port, zone, key, keyFile, pid, stop: () => stopPid(pid) };
}
