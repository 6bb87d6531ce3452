// How a migration names its DNS provider: JSON in the spec and in activity inputs, so in
// Temporal history. It holds references to secrets (`env:NAME`, `file:/path`), never a
// secret. A superset of workflows/spec.ts `dnsProvider` (same kinds and fields, plus an
// optional zone and timeouts), so the spec's value can be passed as it is.
import { z } from 'zod';
import { invalidRequest } from './errors';

/** A secret by reference: `env:NAME` or `file:/absolute/path` (same rule as workflows/spec.ts). */
export const secretRef = z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/\S.*)$/, {
  message: 'must be a secret reference: env:VARIABLE_NAME or file:/absolute/path (never the secret itself)',
});

const port = z.number().int().min(1).max(65535);

/** An authoritative server taking RFC 2136 updates signed with TSIG (BIND, Knot, PowerDNS, Windows DNS with TSIG…). */
export const rfc2136ProviderConfig = z.strictObject({
  kind: z.literal('rfc2136'),
  /** The primary server (host name or address): updates go there, reads ask it. */
  server: z.string().min(1),
  port: port.default(53),
  /** The zone; may instead (or also, identically) be given with each activity input. */
  zone: z.string().min(1).optional(),
  /** A BIND key file (`file:`), or `name:algorithm:secret` (`env:` or `file:`). */
  tsigKey: secretRef,
  /** Per exchange with the server. */
  timeoutSeconds: z.number().positive().max(120).default(5),
});

/** PowerDNS Authoritative through its HTTP API (`api=yes`). */
export const powerDnsProviderConfig = z.strictObject({
  kind: z.literal('powerdns'),
  /** The webserver's base URL, e.g. http://127.0.0.1:8081 (the API is under /api/v1). */
  apiUrl: z.url({ protocol: /^https?$/ }),
  serverId: z.string().min(1).default('localhost'),
  zone: z.string().min(1).optional(),
  /** The X-API-Key value. */
  apiKey: secretRef,
  timeoutSeconds: z.number().positive().max(120).default(10),
});

export const dnsProviderConfig = z.discriminatedUnion('kind', [rfc2136ProviderConfig, powerDnsProviderConfig]);

export type DnsProviderConfig = z.output<typeof dnsProviderConfig>;
/** What callers may pass (defaults not yet applied). */
export type DnsProviderConfigInput = z.input<typeof dnsProviderConfig>;

export function parseProviderConfig(input: unknown): DnsProviderConfig {
  const parsed = dnsProviderConfig.safeParse(input);
  // zod's messages name the field and the rule, not the value: nothing secret is echoed.
  if (!parsed.success) throw invalidRequest(`invalid DNS provider: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  return parsed.data;
}
