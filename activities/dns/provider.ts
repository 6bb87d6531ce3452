// The one interface every DNS provider implements, and how an activity gets one from a
// provider reference: the config is validated, its secrets resolved here, on the worker.
import { invalidRequest } from './errors';
import { PowerDnsProvider } from './powerdns';
import { parseProviderConfig, type DnsProviderConfigInput } from './provider-config';
import type { RecordType, RRset } from './records';
import { normaliseName } from './records';
import { Rfc2136Provider } from './rfc2136';
import { loadTsigKey } from './tsig-key';
import { resolveSecret } from '../credentials';
import type { Endpoint } from './transport';

/** One RRset to change: from exactly `expected` (null: must not exist) to `next` (null: delete). */
export interface RRsetChange {
  name: string;
  type: RecordType;
  expected: RRset | null;
  next: RRset | null;
}

export interface DnsProvider {
  /** Names and RRsets are normalised (`example.test.`). */
  readonly zone: string;
  /** For messages: the server or API and the credential's name or reference; never a secret. */
  readonly where: string;
  /** A DNS server answering for the zone with the provider's own data (the RFC 2136 primary), if known. */
  readonly primary?: Endpoint;
  /** The RRset as the provider holds it now; null when there is none. */
  read(name: string, type: RecordType): Promise<RRset | null>;
  /**
   * All the changes at once, or none: a conflict (an RRset that is not `expected`) fails
   * with DnsConflict and writes nothing; when every RRset already is `next`, succeeds.
   */
  replace(changes: RRsetChange[]): Promise<void>;
}

/** The provider a reference names, for one zone (given here or in the config; both must agree). */
export async function openProvider(reference: DnsProviderConfigInput, zone?: string): Promise<DnsProvider> {
  const config = parseProviderConfig(reference);
  if (zone && config.zone && normaliseName(zone) !== normaliseName(config.zone)) {
    throw invalidRequest(`the activity is for zone ${zone} but its provider is configured for zone ${config.zone}`);
  }
  const theZone = zone ?? config.zone;
  if (!theZone) throw invalidRequest('no DNS zone given (in the input or the provider config)');
  const timeoutMs = config.timeoutSeconds * 1000;
  if (config.kind === 'rfc2136') {
    return new Rfc2136Provider({ host: config.server, port: config.port }, normaliseName(theZone), await loadTsigKey(config.tsigKey), timeoutMs);
  }
  return new PowerDnsProvider({
    apiUrl: config.apiUrl,
    serverId: config.serverId,
    zone: normaliseName(theZone),
    apiKey: (await resolveSecret(config.apiKey)).trim(),
    apiKeyRef: config.apiKey,
    timeoutMs,
  });
}
