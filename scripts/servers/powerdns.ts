// A real PowerDNS Authoritative server on loopback ports, in its own directory: sqlite3
// backend, the HTTP API (the second DNS provider), and RFC 2136 updates signed with a
// TSIG key (so the same TSIG client is tested against a third implementation).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import path from 'node:path';
import { writeKeyFile } from './dns-daemon';
import type { TsigKey } from './knot';
import { keepPrivate, privateDir, writeSecretFile } from './private-files';
import { freePorts, stopPid, waitFor } from './process';

const SCHEMA = '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql';

export interface PowerDnsOptions {
  /** A fresh directory owned by this instance. */
  dir: string;
  zone: string;
  /** Zone file body after $ORIGIN/$TTL (SOA and NS are added), as for Knot and BIND. */
  records: string;
  port?: number;
  apiPort?: number;
  apiKey?: string;
  key?: TsigKey;
}

export interface PowerDnsServer {
  host: string;
  /** DNS (UDP and TCP). */
  port: number;
  zone: string;
  apiUrl: string;
  serverId: 'localhost';
  apiKey: string;
  /** The API key alone in a file (a `file:` reference), mode 0600. */
  apiKeyFile: string;
  key: TsigKey;
  /** The TSIG key in BIND's format (`nsupdate -k`), mode 0600. */
  keyFile: string;
  pid: number;
  /** A call to the API with the right key; throws on a status other than 2xx. */
  api(method: string, pathname: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export function powerDnsConfig(dir: string, port: number, apiPort: number, apiKey: string): string {
  // Caches off: tests read their own writes at once. No security poll (no outbound query).
  return `launch=gsqlite3
gsqlite3-database=${dir}/pdns.sqlite3
local-address=127.0.0.1
local-port=${port}
socket-dir=${dir}
daemon=no
guardian=no
disable-syslog=yes
loglevel=4
security-poll-suffix=
api=yes
api-key=${apiKey}
webserver=yes
webserver-address=127.0.0.1
webserver-port=${apiPort}
webserver-allow-from=127.0.0.1
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
zone-cache-refresh-interval=0
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
`;
}

export async function startPowerDns(options: PowerDnsOptions): Promise<PowerDnsServer> {
  const { dir, zone } = options;
  const picked = await freePorts(Number(options.port === undefined) + Number(options.apiPort === undefined));
  const port = options.port ?? picked.shift()!;
  const apiPort = options.apiPort ?? picked.shift()!;
  const apiKey = options.apiKey ?? randomBytes(18).toString('base64url');
  const key: TsigKey = options.key ?? { name: 'mailshift-key', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  privateDir(dir); // its control socket is there too
  const database = path.join(dir, 'pdns.sqlite3');
  execFileSync('sqlite3', [database], { input: readFileSync(SCHEMA) });
  // The TSIG keys go into the database; SQLite gives its journal and WAL files the database's mode.
  keepPrivate(database);
  writeSecretFile(path.join(dir, 'pdns.conf'), powerDnsConfig(dir, port, apiPort, apiKey)); // it holds the API key
  const apiKeyFile = path.join(dir, 'api.key');
  writeSecretFile(apiKeyFile, `${apiKey}\n`);
  const keyFile = path.join(dir, 'tsig.key');
  writeKeyFile(keyFile, key);

  const logFile = path.join(dir, 'pdns.log');
  const log = openSync(logFile, 'a');
  const child = spawn('pdns_server', [`--config-dir=${dir}`], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  const pid = child.pid!;
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const api = async (method: string, pathname: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${apiUrl}/api/v1/servers/localhost${pathname}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`PowerDNS API ${method} ${pathname}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    await waitFor(`PowerDNS API on port ${apiPort}`, async () => {
      if (child.exitCode !== null) throw new Error('pdns_server exited');
      await api('GET', '/zones');
      return true;
    });
    // The zone from a zone file, as Knot and BIND get it; serials increase on API edits.
    await api('POST', '/zones', {
      name: `${zone}.`,
      kind: 'Native',
      soa_edit_api: 'INCREASE',
      zone:
        `$ORIGIN ${zone}.\n$TTL 3600\n@ 3600 IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 900 604800 300\n` +
        `@ 3600 IN NS ns1.${zone}.\nns1 3600 IN A 127.0.0.1\n${options.records}\n`,
    });
    await api('POST', '/tsigkeys', { name: key.name, algorithm: key.algorithm, key: key.secret });
    await api('PUT', `/zones/${zone}./metadata/TSIG-ALLOW-DNSUPDATE`, { kind: 'TSIG-ALLOW-DNSUPDATE', metadata: [key.name] });
    await waitFor(`PowerDNS on port ${port}`, async () => (await resolver.resolveSoa(zone)).nsname === `ns1.${zone}`);
  } catch (err) {
    await stopPid(pid);
    throw new Error(`${(err as Error).message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  return { host: '127.0.0.1', port, zone, apiUrl, serverId: 'localhost', apiKey, apiKeyFile, key, keyFile, pid, api, stop: () => stopPid(pid) };
}
