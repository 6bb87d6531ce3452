// The DNS activities against a real Knot taking TSIG-signed (hmac-sha256) RFC 2136 updates.
import { providerScenarios } from './scenarios';
import { startTestKnot } from './servers';

describe('RFC 2136 provider on Knot', () => {
  providerScenarios(startTestKnot);
});
