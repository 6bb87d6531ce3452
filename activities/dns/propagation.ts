// After a change: ask the zone's authoritative servers (and any resolvers the operator
// lists) until every one answers the new records, or a deadline passes. The runbook goes
// on only when the world sees the change; the result says who still answers what.
//
// Authoritative servers must answer the RRset exactly, TTL included. A resolver must
// answer the same values with a TTL no longer than the new one (a cache counts down).
// The servers are, by default, the provider's primary and the addresses of the zone's NS
// records; an NS that cannot be reached is reported but does not hold the runbook (a
// server that answers nothing cannot answer old records: resolvers move on to the next).
// Servers named in the input (nameservers, resolvers) must all answer.
import { lookup } from 'node:dns/promises';
import { activityInfo, heartbeat, sleep as activitySleep } from '@temporalio/activity';
import { describeRRset, invalidRequest } from './errors';
import { openProvider, type DnsProvider } from './provider';
import type { DnsTarget } from './operations';
import { inZone, normaliseName, normaliseRRset, normaliseType, sameRRset, type RecordType, type RRset, type RRsetInput } from './records';
import { queryRRset } from './query';
import { formatEndpoint, parseEndpoint, TransportError, type Endpoint } from './transport';

export interface CheckPropagationInput extends DnsTarget {
  /** The records every server should answer now; null: the RRset should be gone (then give name and type). */
  expected: RRsetInput | null;
  name?: string;
  type?: string;
  /** Resolvers that must also answer the new records: `host`, `host:port`, `[v6]:port`. */
  resolvers?: string[];
  /** The authoritative servers to ask, instead of the primary and the zone's NS records. */
  nameservers?: string[];
  /** How long to keep asking (default 300 s; never past the activity's own timeout). */
  deadlineSeconds?: number;
  /** Pause between rounds (default 5 s). */
  intervalSeconds?: number;
  /** Per query (default 2 s). */
  queryTimeoutSeconds?: number;
}

export interface ServerAnswer {
  /** `127.0.0.1:5300`, or `ns1.example.com (192.0.2.53:53)`. */
  server: string;
  role: 'authoritative' | 'resolver';
  /** current: answers the new records; stale: answers something else; unreachable: no answer; error: an error rcode. */
  status: 'current' | 'stale' | 'unreachable' | 'error';
  answer: RRset | null;
  /** Why unreachable or error. */
  detail?: string;
}

export interface PropagationResult {
  ok: boolean;
  /** One line for people: who still answers what. */
  summary: string;
  expected: RRset | null;
  servers: ServerAnswer[];
  rounds: number;
}

interface Target {
  label: string;
  endpoint: Endpoint;
  role: 'authoritative' | 'resolver';
  /** Must answer (listed by the operator, or the primary): unreachable holds the check. */
  required: boolean;
}

function inActivity(): boolean {
  try {
    activityInfo();
    return true;
  } catch {
    return false;
  }
}

async function addressesOf(provider: DnsProvider, host: string): Promise<string[]> {
  if (inZone(host, provider.zone)) {
    const [a, aaaa] = await Promise.all([provider.read(host, 'A'), provider.read(host, 'AAAA')]);
    return [...(a?.values ?? []), ...(aaaa?.values ?? [])];
  }
  try {
    return (await lookup(host.replace(/\.$/, ''), { all: true })).map((r) => r.address);
  } catch {
    return [];
  }
}

async function targets(provider: DnsProvider, input: CheckPropagationInput): Promise<Target[]> {
  const out: Target[] = [];
  const add = (t: Target) => {
    if (!out.some((o) => o.role === t.role && formatEndpoint(o.endpoint) === formatEndpoint(t.endpoint))) out.push(t);
  };
  const parse = (s: string) => {
    try {
      return parseEndpoint(s);
    } catch (err) {
      throw invalidRequest((err as Error).message);
    }
  };
  if (input.nameservers?.length) {
    for (const s of input.nameservers) add({ label: s, endpoint: parse(s), role: 'authoritative', required: true });
  } else {
    if (provider.primary) add({ label: formatEndpoint(provider.primary), endpoint: provider.primary, role: 'authoritative', required: true });
    const ns = await provider.read(provider.zone, 'NS');
    for (const host of ns?.values ?? []) {
      const addresses = await addressesOf(provider, host);
      for (const address of addresses) {
        const endpoint = { host: address, port: 53 };
        add({ label: `${host} (${formatEndpoint(endpoint)})`, endpoint, role: 'authoritative', required: false });
      }
    }
  }
  for (const s of input.resolvers ?? []) add({ label: s, endpoint: parse(s), role: 'resolver', required: true });
  if (!out.length) throw invalidRequest(`no server to ask for zone ${provider.zone}: give nameservers`);
  return out;
}

async function ask(t: Target, name: string, type: RecordType, expected: RRset | null, timeoutMs: number): Promise<ServerAnswer> {
  const base = { server: t.label, role: t.role };
  try {
    const a = await queryRRset(t.endpoint, name, type, { timeoutMs, tries: 1, recursive: t.role === 'resolver' });
    if (a.rcode !== 'NOERROR' && a.rcode !== 'NXDOMAIN') return { ...base, status: 'error', answer: null, detail: a.rcode };
    if (t.role === 'authoritative' && !a.authoritative) return { ...base, status: 'error', answer: a.rrset, detail: 'not authoritative (lame)' };
    const current =
      t.role === 'authoritative'
        ? sameRRset(a.rrset, expected)
        : sameRRset(a.rrset, expected, { ttl: false }) && (!expected || !a.rrset || a.rrset.ttl <= expected.ttl);
    return { ...base, status: current ? 'current' : 'stale', answer: a.rrset };
  } catch (err) {
    if (err instanceof TransportError) return { ...base, status: 'unreachable', answer: null, detail: err.message };
    throw err;
  }
}

function summarise(answers: ServerAnswer[], required: Map<string, boolean>, expected: RRset | null, ok: boolean, label: string): string {
  if (ok) {
    const skipped = answers.filter((a) => a.status === 'unreachable');
    const current = answers.length - skipped.length;
    return `${current} server(s) answer ${label} ${describeRRset(expected)}${skipped.length ? `; unreachable (not required): ${skipped.map((s) => s.server).join(', ')}` : ''}`;
  }
  const late = answers.filter((a) => a.status !== 'current' && (a.status !== 'unreachable' || required.get(a.server)));
  return `still not answering ${label} ${describeRRset(expected)}: ${late
    .map((a) => `${a.server} ${a.status === 'stale' ? `answers ${describeRRset(a.answer)}` : `${a.status}${a.detail ? ` (${a.detail})` : ''}`}`)
    .join('; ')}`;
}

/** Polls until every server answers `expected`, or the deadline passes; heartbeats each round. */
export async function checkPropagation(input: CheckPropagationInput): Promise<PropagationResult> {
  const provider = await openProvider(input.provider, input.zone);
  const expected = normaliseRRset(input.expected);
  const name = normaliseName(expected?.name ?? input.name ?? '');
  const type = normaliseType(expected?.type ?? input.type ?? '');
  if (!inZone(name, provider.zone)) throw invalidRequest(`${name} is not in zone ${provider.zone}`);
  const label = `${name} ${type}`;
  const servers = await targets(provider, input);
  const required = new Map(servers.map((s) => [s.label, s.required]));

  const activity = inActivity();
  let deadline = Date.now() + (input.deadlineSeconds ?? 300) * 1000;
  if (activity) {
    // Return a result before the activity's own timeout ends it: the workflow decides.
    const { startToCloseTimeoutMs, currentAttemptScheduledTimestampMs } = activityInfo();
    if (startToCloseTimeoutMs) deadline = Math.min(deadline, currentAttemptScheduledTimestampMs + startToCloseTimeoutMs - 10_000);
  }
  const intervalMs = (input.intervalSeconds ?? 5) * 1000;
  const timeoutMs = (input.queryTimeoutSeconds ?? 2) * 1000;

  for (let round = 1; ; round++) {
    const answers = await Promise.all(servers.map((t) => ask(t, name, type, expected, timeoutMs)));
    const answered = answers.filter((a) => a.status !== 'unreachable');
    const ok =
      answers.every((a) => a.status === 'current' || (a.status === 'unreachable' && !required.get(a.server))) &&
      answered.some((a) => a.role === 'authoritative');
    const pending = answers.filter((a) => a.status !== 'current').map((a) => a.server);
    if (activity) heartbeat({ round, pending });
    if (ok || Date.now() + intervalMs > deadline) {
      return { ok, summary: summarise(answers, required, expected, ok, label), expected, servers: answers, rounds: round };
    }
    // Cancellation-aware inside an activity.
    if (activity) await activitySleep(intervalMs);
    else await new Promise((r) => setTimeout(r, intervalMs));
  }
}
