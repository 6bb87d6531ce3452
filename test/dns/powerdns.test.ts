// The DNS activities against a real PowerDNS: through its HTTP API (the second
// provider), and as an RFC 2136 primary with TSIG (a third server for the same client).
import { providerScenarios } from './scenarios';
import { startTestPowerDns } from './servers';

describe('PowerDNS HTTP API provider', () => {
  providerScenarios(startTestPowerDns);
});

describe('RFC 2136 provider on PowerDNS', () => {
  providerScenarios(async () => {
    const pdns = await startTestPowerDns();
    return { ...pdns, label: 'PowerDNS (RFC 2136)', provider: pdns.rfc2136, ...pdns.rfc2136Credentials, hasPrimary: true };
  });
});
