// The MX record the fake DNS of `npm run bench:orchestration` and test/workflows/bounds.test.ts
// starts with: a TTL of a minute, so that waiting it out on a dev server (real time) is short.
export const FAKE_MX = { name: 'example.test.', type: 'MX', ttl: 60, values: ['10 mail1.example.test.'] };

/** The first content of the file the fake workers share their DNS in (scripts/bench/fake-worker.ts). */
export const initialDns = () => JSON.stringify([[`${FAKE_MX.name}/${FAKE_MX.type}`, FAKE_MX]]);
