// RFC 2136 dynamic updates signed with TSIG, sent by nsupdate (bind9-dnsutils, the
// reference client). Each change is ONE update message whose prerequisites are the
// records we expect to replace, so a record someone else changed is detected and
// reported, never overwritten. The key never appears on a command line (`ps`): a key
// file goes by path (-k), a key from the environment goes on stdin.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { resolveSecret } from '../credentials';
import type { DnsProvider } from '../../workflows/spec';
import { fqdn, normalise, type DnsRecordSet } from './records';

export const DNS_CONFLICT = 'DnsConflict';
export const DNS_AUTH_REFUSED = 'DnsAuthRefused';
export const DNS_UNREACHABLE = 'DnsUnreachable';

type Rfc2136 = Extract<DnsProvider, { kind: 'rfc2136' }>;

async function keyArgs(ref: string): Promise<{ args: string[]; stdinKey: string }> {
  if (ref.startsWith('file:')) {
    const path = ref.slice('file:'.length);
    if (!existsSync(path)) throw ApplicationFailure.nonRetryable(`the TSIG key file ${path} does not exist on this worker`, DNS_AUTH_REFUSED);
    return { args: ['-k', path], stdinKey: '' };
  }
  // env: holds "algorithm:name:secret", e.g. hmac-sha256:mailshift-key:BASE64
  const [algorithm, name, secret] = (await resolveSecret(ref)).split(':');
  if (!algorithm || !name || !secret) {
    throw ApplicationFailure.nonRetryable(`the TSIG key in ${ref} must read "algorithm:name:secret"`, DNS_AUTH_REFUSED);
  }
  return { args: [], stdinKey: `key ${algorithm}:${name} ${secret}\n` };
}

function updateScript(zone: string, expected: DnsRecordSet | null, next: DnsRecordSet): string {
  const name = fqdn(next.name);
  const lines: string[] = [];
  if (expected) for (const v of normalise(expected).values) lines.push(`prereq yxrrset ${name} IN ${expected.type} ${v}`);
  else lines.push(`prereq nxrrset ${name} IN ${next.type}`);
  // Delete and re-add in the same message: Knot ignores a re-add that changes only the TTL.
  lines.push(`update delete ${name} IN ${next.type}`);
  for (const v of normalise(next).values) lines.push(`update add ${name} ${next.ttl} IN ${next.type} ${v}`);
  return `zone ${fqdn(zone)}\n${lines.join('\n')}\nsend\n`;
}

/** Replaces `expected` with `next` in one signed update; fails with a conflict if `expected` is not what the zone holds. */
export async function sendUpdate(provider: Rfc2136, zone: string, expected: DnsRecordSet | null, next: DnsRecordSet): Promise<void> {
  const { args, stdinKey } = await keyArgs(provider.tsigKey);
  const script = `${stdinKey}server ${provider.server} ${provider.port}\n${updateScript(zone, expected, next)}`;
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('nsupdate', ['-t', '5', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
    child.stdin.end(script);
  });
  if (code === 0) return;
  const what = `${fqdn(next.name)} ${next.type} on ${provider.server}:${provider.port}`;
  const said = stderr.replace(/key\s+\S+\s+\S+/gi, 'key …').trim().split('\n').slice(-2).join(' ');
  if (/NXRRSET|YXRRSET|NXDOMAIN|YXDOMAIN/.test(stderr)) {
    throw ApplicationFailure.nonRetryable(
      `${what} is not what mailshift recorded (someone else changed it): expected ${JSON.stringify(expected?.values ?? null)}; nothing was changed`,
      DNS_CONFLICT,
    );
  }
  if (/NOTAUTH|BADSIG|BADKEY|REFUSED|tsig verify failure/i.test(stderr)) {
    throw ApplicationFailure.nonRetryable(`the DNS server refused the update of ${what}: check the TSIG key (${said})`, DNS_AUTH_REFUSED);
  }
  throw ApplicationFailure.retryable(`could not update ${what}: ${said || `nsupdate exited ${code}`}`, DNS_UNREACHABLE);
}
