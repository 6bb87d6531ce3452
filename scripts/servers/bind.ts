// A real BIND 9 (named) on a loopback port, in its own directory, serving one zone that
// accepts RFC 2136 updates signed with a TSIG key: the most common production server,
// and stricter than Knot (it refuses an MX whose in-zone target has no address).
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnAuthoritative, writeKeyFile, zoneFileText } from './dns-daemon';
import { privateDir, writeSecretFile } from './private-files';
import { freePort, stopPid } from './process';

/** As Knot's TsigKey, with the stronger HMACs BIND also offers. */
export interface BindKey {
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';
  /** base64 */
  secret: string;
}

export interface BindOptions {
  /** A fresh directory owned by this instance (named journals updates next to the zone file). */
  dir: string;
  zone: string;
  /** Zone file body after $ORIGIN/$TTL (SOA and NS are added), as for Knot. */
  records: string;
  port?: number;
  key?: BindKey;
}

export interface BindServer {
  host: string;
  port: number;
  zone: string;
  key: BindKey;
  /** The key in BIND's format (`nsupdate -k`), mode 0600. */
  keyFile: string;
  pid: number;
  stop(): Promise<void>;
}

export function bindConfig(dir: string, port: number, zone: string, key: BindKey): string {
  // `controls { };` keeps named from opening rndc on port 953; everything it writes
  // (pid, session key, journal, managed keys) stays inside the directory.
  return `options {
    directory "${dir}";
    pid-file "${dir}/named.pid";
    session-keyfile "${dir}/session.key";
    managed-keys-directory "${dir}";
    listen-on port ${port} { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    allow-transfer { none; };
    dnssec-validation no;
    notify no;
};
controls { };
key "${key.name}" {
    algorithm ${key.algorithm};
    secret "${key.secret}";
};
zone "${zone}" {
    type primary;
    file "${dir}/${zone}.zone";
    update-policy { grant ${key.name} zonesub ANY; };
};
`;
}

export async function startBind(options: BindOptions): Promise<BindServer> {
  const { dir, zone } = options;
  const port = options.port ?? (await freePort());
  const key: BindKey = options.key ?? { name: 'mailshift-key', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  privateDir(dir);
  const zoneFile = path.join(dir, `${zone}.zone`);
  if (!existsSync(zoneFile)) {
    writeFileSync(zoneFile, zoneFileText(zone, options.records));
  }
  const conf = path.join(dir, 'named.conf');
  writeSecretFile(conf, bindConfig(dir, port, zone, key)); // it holds the TSIG secret
  const keyFile = path.join(dir, 'tsig.key');
  writeKeyFile(keyFile, key);

  // -g: foreground, logging to stderr; -n 1: one worker thread (the machine is shared).
  const pid = await spawnAuthoritative({
    what: 'named',
    command: 'named',
    args: ['-g', '-c', conf, '-n', '1'],
    logFile: path.join(dir, 'named.log'),
    port,
    zone,
  });
  return { host: '127.0.0.1', port, zone, key, keyFile, pid, stop: () => stopPid(pid) };
}
