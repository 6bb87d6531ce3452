// The runbook's DNS activities: read an RRset, replace it (lower the TTL, switch the MX,
// move or park the IMAP host name, restore), and wait until the servers answer the new
// records. Each returns what the audit log needs; each is idempotent.
import { heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DnsProvider } from '../../workflows/spec';
import { normalise, parseServer, queryRecords, sameValues, type DnsRecordSet } from './records';
import { DNS_UNREACHABLE, sendUpdate } from './rfc2136';

export interface RecordQuery {
  provider: DnsProvider;
  zone: string;
  name: string;
  type: 'MX' | 'A' | 'AAAA';
}

function authoritative(provider: DnsProvider) {
  if (provider.kind !== 'rfc2136') throw ApplicationFailure.nonRetryable(`DNS provider ${provider.kind} is not supported`, 'DnsProvider');
  return { provider, server: { host: provider.server, port: provider.port } };
}

async function read(q: RecordQuery): Promise<DnsRecordSet | null> {
  const { server } = authoritative(q.provider);
  try {
    return await queryRecords(server, q.name, q.type);
  } catch (err) {
    throw ApplicationFailure.retryable(`could not read ${q.name} ${q.type}: ${(err as Error).message}`, DNS_UNREACHABLE);
  }
}

/** The RRset as the zone's server holds it now (null when there is none). */
export async function readRecords(q: RecordQuery): Promise<DnsRecordSet | null> {
  return read(q);
}

export interface ReplaceRecords {
  provider: DnsProvider;
  zone: string;
  /** What mailshift recorded last; the update fails (conflict) if the zone holds anything else. */
  expected: DnsRecordSet | null;
  next: DnsRecordSet;
}

export async function replaceRecords(r: ReplaceRecords): Promise<{ before: DnsRecordSet | null; after: DnsRecordSet }> {
  const { provider } = authoritative(r.provider);
  const next = normalise(r.next);
  const type = next.type as RecordQuery['type'];
  const current = await read({ provider, zone: r.zone, name: next.name, type });
  // A retry after success finds the world already as asked: nothing to do.
  if (current && sameValues(current, next) && current.ttl === next.ttl) return { before: r.expected ?? current, after: current };
  await sendUpdate(provider, r.zone, r.expected, next);
  return { before: current, after: next };
}

export interface PropagationCheck {
  provider: DnsProvider;
  zone: string;
  expected: DnsRecordSet;
  /** Resolvers that must also answer the new records ("host" or "host:port"). */
  resolvers: string[];
  /** How long to keep asking (default 10 minutes). */
  deadlineSeconds?: number;
}

export interface PropagationResult {
  ok: boolean;
  summary: string;
  servers: { server: string; values: string[] | null }[];
}

/** Asks the authoritative server and the listed resolvers until all answer the new records. */
export async function checkPropagation(c: PropagationCheck): Promise<PropagationResult> {
  const { server } = authoritative(c.provider);
  const targets = [server, ...c.resolvers.map((s) => parseServer(s))];
  const expected = normalise(c.expected);
  const deadline = Date.now() + (c.deadlineSeconds ?? 600) * 1000;
  for (;;) {
    const servers = await Promise.all(
      targets.map(async (t) => {
        const got = await queryRecords(t, expected.name, expected.type as RecordQuery['type']).catch(() => undefined);
        return { server: `${t.host}:${t.port}`, values: got === undefined ? null : (got?.values ?? []) };
      }),
    );
    const stale = servers.filter((s) => JSON.stringify(s.values) !== JSON.stringify(expected.values));
    heartbeat({ stale: stale.map((s) => s.server) });
    if (!stale.length || Date.now() > deadline) {
      const summary = stale.length
        ? `still old or no answer: ${stale.map((s) => `${s.server} → ${JSON.stringify(s.values)}`).join('; ')}`
        : `${servers.length} server(s) answer ${expected.values.join(', ')}`;
      return { ok: !stale.length, summary, servers };
    }
    await sleep(2000);
  }
}
