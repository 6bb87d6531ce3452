// A real BIND 9 (named) on a loopback port, in its own directory, serving one zone that
// accepts RFC 2136 updates signed with a TSIG key: the most common production server,
// and stricter than Knot (it refuses an MX whose in-zone target has no address).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import path from 'node:path';
import { freePort, stopPid, waitFor } from './process';

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
  mkdirSync(dir, { recursive: true });
  const zoneFile = path.join(dir, `${zone}.zone`);
  if (!existsSync(zoneFile)) {
    writeFileSync(
      zoneFile,
      `$ORIGIN ${zone}.\n$TTL 3600\n@ 3600 IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 900 604800 300\n` +
        `@ 3600 IN NS ns1.${zone}.\nns1 3600 IN A 127.0.0.1\n${options.records}\n`,
    );
  }
  const conf = path.join(dir, 'named.conf');
  writeFileSync(conf, bindConfig(dir, port, zone, key), { mode: 0o600 });
  const keyFile = path.join(dir, 'tsig.key');
  writeFileSync(keyFile, `key "${key.name}" {\n  algorithm ${key.algorithm};\n  secret "${key.secret}";\n};\n`, { mode: 0o600 });

  const logFile = path.join(dir, 'named.log');
  const log = openSync(logFile, 'a');
  // -g: foreground, logging to stderr; -n 1: one worker thread (the machine is shared).
  const child = spawn('named', ['-g', '-c', conf, '-n', '1'], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  const pid = child.pid!;
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    await waitFor(`named on port ${port}`, async () => {
      if (child.exitCode !== null) throw new Error('named exited');
      return (await resolver.resolveSoa(zone)).nsname === `ns1.${zone}`;
    });
  } catch (err) {
    await stopPid(pid);
    throw new Error(`${(err as Error).message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  return { host: '127.0.0.1', port, zone, key, keyFile, pid, stop: () => stopPid(pid) };
}
