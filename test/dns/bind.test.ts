// The DNS activities against a real BIND 9 taking TSIG-signed (hmac-sha512) RFC 2136
// updates: stricter than Knot (an MX target in the zone needs an address).
import { providerScenarios } from './scenarios';
import { startTestBind } from './servers';

describe('RFC 2136 provider on BIND', () => {
  providerScenarios(startTestBind);
});
