// Where a sending MTA would deliver a domain's mail right now: its MX hosts by preference
// and their addresses, asked of the DNS servers the runbook trusts: the resolvers listed
// for propagation checks (dns.checkResolvers, recursive), else the DNS provider's own
// server (authoritative). Never the worker's system resolver, whose cache and view of the
// world are not the ones the runbook checked.
import { openProvider } from '../dns/provider';
import type { DnsProviderConfigInput } from '../dns/provider-config';
import { queryRRset } from '../dns/query';
import { invalidRequest } from '../dns/errors';
import { formatEndpoint, parseEndpoint, TransportError, type Endpoint } from '../dns/transport';

export interface MxLookupInput {
  provider: DnsProviderConfigInput;
  zone: string;
  /** The mail domain (the MX record's name). */
  domain: string;
  /** `host[:port]` resolvers; empty: the provider's own server. */
  resolvers: string[];
}

export interface MxHost {
  preference: number;
  host: string;
  addresses: string[];
}

export interface MxAnswer {
  /** The server that answered, for messages. */
  server: string;
  /** By preference, lowest first (the order a sender tries them in). */
  hosts: MxHost[];
}

interface DnsServer {
  endpoint: Endpoint;
  recursive: boolean;
}

async function servers(input: MxLookupInput): Promise<DnsServer[]> {
  if (input.resolvers.length) return input.resolvers.map((r) => ({ endpoint: parseEndpoint(r), recursive: true }));
  const { primary } = await openProvider(input.provider, input.zone);
  if (!primary) throw invalidRequest('the DNS provider answers no DNS queries: list a resolver in dns.checkResolvers');
  return [{ endpoint: primary, recursive: false }];
}

async function ask(server: DnsServer, name: string, type: 'MX' | 'A' | 'AAAA'): Promise<string[]> {
  const answer = await queryRRset(server.endpoint, name, type, { recursive: server.recursive, timeoutMs: 3000 });
  if (answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN')
    throw new Error(`${formatEndpoint(server.endpoint)} answers ${name} ${type} with ${answer.rcode}`);
  return answer.rrset?.values ?? [];
}

/** The domain's MX hosts as the first server that answers has them; an Error says what was wrong. */
export async function mxAsAnswered(input: MxLookupInput): Promise<MxAnswer> {
  const unreachable: string[] = [];
  for (const server of await servers(input)) {
    try {
      const mx = await ask(server, input.domain, 'MX');
      if (!mx.length) throw new Error(`${formatEndpoint(server.endpoint)} has no MX record for ${input.domain}`);
      const hosts = await Promise.all(
        mx.map(async (value) => {
          const [preference, host] = value.split(' ');
          const addresses = [...(await ask(server, host, 'A')), ...(await ask(server, host, 'AAAA'))];
          return { preference: Number(preference), host, addresses };
        }),
      );
      return { server: formatEndpoint(server.endpoint), hosts: hosts.sort((a, b) => a.preference - b.preference) };
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      unreachable.push(`${formatEndpoint(server.endpoint)} (${err.message})`);
    }
  }
  throw new Error(`no DNS server answered for ${input.domain} MX: ${unreachable.join('; ')}`);
}
