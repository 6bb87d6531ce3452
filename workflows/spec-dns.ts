// The spec's DNS: the provider that changes records, the zone, the MX and (lucky) the IMAP
// host name's records.
import { z } from 'zod';
import { dnsName, hostname, port, secretRef } from './spec-fields';

export const providerKind = 'rfc2136: dynamic updates signed with TSIG (BIND, Knot); powerdns: the PowerDNS HTTP API';
export const dnsProvider = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rfc2136').describe(providerKind),
    server: hostname.describe('the authoritative server taking the updates'),
    port: port.default(53).describe('its DNS port'),
    tsigKey: secretRef.describe('a BIND key file (file:) or "name:algorithm:secret" (env:)'),
  }),
  z.strictObject({
    kind: z.literal('powerdns').describe(providerKind),
    apiUrl: z.url().describe('the PowerDNS API base URL'),
    serverId: z.string().default('localhost').describe('the PowerDNS server id'),
    apiKey: secretRef.describe('the PowerDNS API key, by reference'),
  }),
]);

export const dns = z.strictObject({
  provider: dnsProvider.describe('how DNS records are changed'),
  zone: dnsName,
  mx: z
    .strictObject({
      name: dnsName.describe('the name whose MX records route the mail, usually the zone itself'),
      host2: z
        .array(z.string().regex(/^\d{1,5} \S+$/, { message: 'must be "<preference> <host>"' }))
        .min(1)
        .describe('the MX records once the mail goes to host2, e.g. ["10 mx.new.example.com."]'),
    })
    .describe('the MX records'),
  imapHost: z
    .strictObject({
      name: dnsName.describe('the IMAP host name'),
      host2Addresses: z
        .array(z.union([z.ipv4(), z.ipv6()]))
        .min(1)
        .describe("lucky scenario: host2's addresses, which the IMAP host name finally points to"),
      parkedAddresses: z
        .array(z.union([z.ipv4(), z.ipv6()]))
        .optional()
        .describe('cut-over by DNS: where the name points while no IMAP server should answer'),
    })
    .optional()
    .describe("the IMAP host name's address records (required by the lucky scenario)"),
  lowTtl: z.number().int().min(30).max(3600).default(300).describe('the TTL (seconds) during the migration, set days before the cut-over'),
  restoreTtl: z
    .number()
    .int()
    .min(300)
    .max(604_800)
    .optional()
    .describe('the TTL (seconds) set at the end; without it, each record gets back the TTL it had before the migration'),
  checkResolvers: z.array(z.string()).default([]).describe('resolvers that must also answer the new records before the runbook goes on'),
});
