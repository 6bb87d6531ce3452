// The three real DNS servers the DNS activities are tested against, behind one shape:
// how to reach them as a provider, how another administrator changes a record behind
// mailshift's back (nsupdate, or the PowerDNS API), and a wrong credential.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBind } from '../../scripts/servers/bind';
import { startKnot } from '../../scripts/servers/knot';
import { startPowerDns } from '../../scripts/servers/powerdns';
import type { DnsProviderConfigInput } from '../../activities/dns/provider-config';

export const ZONE = 'example.test';

/** The zone every server starts with (SOA, NS and ns1 are added by the launchers). */
export const ZONE_RECORDS = [
  '@ 3600 IN MX 10 mail1',
  'mail1 3600 IN A 192.0.2.1',
  'mail2 3600 IN A 192.0.2.2',
  'imap 3600 IN A 192.0.2.10',
  'imap 3600 IN AAAA 2001:db8::10',
  'shared 3600 IN A 192.0.2.30',
  'raced 3600 IN A 192.0.2.40',
  'webmail 3600 IN CNAME imap',
  'ttl 3600 IN A 192.0.2.50',
  'restore 3600 IN A 192.0.2.60',
  'restore 3600 IN AAAA 2001:db8::60',
].join('\n');

export interface TestDns {
  label: string;
  /** DNS port on 127.0.0.1 (UDP and TCP). */
  port: number;
  provider: DnsProviderConfigInput;
  /** A provider reference with a wrong credential, and every secret that must not show in an error. */
  wrongCredential(): { provider: DnsProviderConfigInput; secrets: string[] };
  /** Unknown key name (TSIG) or no key at all: also refused. */
  unknownCredential(): { provider: DnsProviderConfigInput; secrets: string[] };
  /** Another administrator replaces (or deletes) an RRset, not through mailshift. */
  outsideChange(name: string, type: string, ttl: number, values: string[] | null): Promise<void>;
  /** BIND refuses an MX whose in-zone target has no address. */
  refusesMxWithoutAddress: boolean;
  /** A provider whose primary server answers DNS queries itself (RFC 2136). */
  hasPrimary: boolean;
  stop(): Promise<void>;
}

const dirs: string[] = [];
export function freshDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `mailshift-dns-${prefix}-`));
  dirs.push(d);
  return d;
}
export function removeDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

function nsupdate(keyFile: string, port: number, lines: string[]): void {
  const script = `server 127.0.0.1 ${port}\nzone ${ZONE}\n${lines.join('\n')}\nsend\n`;
  const r = spawnSync('nsupdate', ['-t', '5', '-k', keyFile], { input: script, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsupdate failed (${r.status}): ${r.stderr}`);
}

function nsupdateChange(keyFile: string, port: number, name: string, type: string, ttl: number, values: string[] | null): Promise<void> {
  const fq = `${name.replace(/\.$/, '')}.`;
  nsupdate(keyFile, port, [`update delete ${fq} ${type}`, ...(values ?? []).map((v) => `update add ${fq} ${ttl} ${type} ${v}`)]);
  return Promise.resolve();
}

let envCounter = 0;
/** A secret in an environment variable of this process: `env:NAME`. */
export function envRef(value: string): string {
  const name = `MAILSHIFT_TEST_DNS_${process.pid}_${++envCounter}`;
  process.env[name] = value;
  return `env:${name}`;
}

/** rfc2136 credentials: the right key name with another secret (BADSIG), and a key the server does not know (BADKEY). */
function tsigCredentials(base: DnsProviderConfigInput & { kind: 'rfc2136' }, keyName: string, algorithm: string, rightSecret: string) {
  return {
    wrongCredential() {
      const secret = randomBytes(32).toString('base64');
      const file = path.join(freshDir('wrongkey'), 'wrong.key');
      writeFileSync(file, `key "${keyName}" {\n  algorithm ${algorithm};\n  secret "${secret}";\n};\n`, { mode: 0o600 });
      return { provider: { ...base, tsigKey: `file:${file}` }, secrets: [secret, rightSecret] };
    },
    unknownCredential() {
      const secret = randomBytes(32).toString('base64');
      return { provider: { ...base, tsigKey: envRef(`nobody-key:hmac-sha256:${secret}`) }, secrets: [secret, rightSecret] };
    },
  };
}

export async function startTestKnot(): Promise<TestDns> {
  const knot = await startKnot({ dir: freshDir('knot'), zone: ZONE, records: ZONE_RECORDS });
  const provider = { kind: 'rfc2136' as const, server: '127.0.0.1', port: knot.port, zone: ZONE, tsigKey: `file:${knot.keyFile}`, timeoutSeconds: 2 };
  return {
    label: 'Knot',
    port: knot.port,
    provider,
    ...tsigCredentials(provider, knot.key.name, knot.key.algorithm, knot.key.secret),
    outsideChange: (name, type, ttl, values) => nsupdateChange(knot.keyFile, knot.port, name, type, ttl, values),
    refusesMxWithoutAddress: false,
    hasPrimary: true,
    stop: () => knot.stop(),
  };
}

export async function startTestBind(): Promise<TestDns> {
  // hmac-sha512 here (sha256 on Knot and PowerDNS): both HMACs against a real server.
  const key = { name: 'mailshift-bind-key', algorithm: 'hmac-sha512' as const, secret: randomBytes(64).toString('base64') };
  const bind = await startBind({ dir: freshDir('bind'), zone: ZONE, records: ZONE_RECORDS, key });
  const provider = { kind: 'rfc2136' as const, server: '127.0.0.1', port: bind.port, zone: ZONE, tsigKey: `file:${bind.keyFile}`, timeoutSeconds: 2 };
  return {
    label: 'BIND',
    port: bind.port,
    provider,
    ...tsigCredentials(provider, key.name, key.algorithm, key.secret),
    outsideChange: (name, type, ttl, values) => nsupdateChange(bind.keyFile, bind.port, name, type, ttl, values),
    refusesMxWithoutAddress: true,
    hasPrimary: true,
    stop: () => bind.stop(),
  };
}

export interface TestPowerDns extends TestDns {
  /** The same server as an RFC 2136 primary with its TSIG key. */
  rfc2136: DnsProviderConfigInput & { kind: 'rfc2136' };
  rfc2136Credentials: ReturnType<typeof tsigCredentials>;
  keyFile: string;
}

export async function startTestPowerDns(): Promise<TestPowerDns> {
  const pdns = await startPowerDns({ dir: freshDir('pdns'), zone: ZONE, records: ZONE_RECORDS });
  const provider = { kind: 'powerdns' as const, apiUrl: pdns.apiUrl, serverId: 'localhost', zone: ZONE, apiKey: `file:${pdns.apiKeyFile}`, timeoutSeconds: 3 };
  const rfc2136 = { kind: 'rfc2136' as const, server: '127.0.0.1', port: pdns.port, zone: ZONE, tsigKey: `file:${pdns.keyFile}`, timeoutSeconds: 2 };
  return {
    label: 'PowerDNS',
    port: pdns.port,
    provider,
    wrongCredential() {
      const key = randomBytes(18).toString('base64url');
      return { provider: { ...provider, apiKey: envRef(key) }, secrets: [key, pdns.apiKey] };
    },
    unknownCredential() {
      // An empty key: PowerDNS treats a request without a usable key as unauthenticated.
      return { provider: { ...provider, apiKey: envRef(' ') }, secrets: [pdns.apiKey] };
    },
    async outsideChange(name, type, ttl, values) {
      const fq = `${name.replace(/\.$/, '')}.`;
      await pdns.api('PATCH', `/zones/${ZONE}.`, {
        rrsets: [
          values
            ? { name: fq, type, ttl, changetype: 'REPLACE', records: values.map((content) => ({ content, disabled: false })) }
            : { name: fq, type, changetype: 'DELETE' },
        ],
      });
    },
    refusesMxWithoutAddress: false,
    hasPrimary: false,
    rfc2136,
    rfc2136Credentials: tsigCredentials(rfc2136, pdns.key.name, pdns.key.algorithm, pdns.key.secret),
    keyFile: pdns.keyFile,
    stop: () => pdns.stop(),
  };
}
