// The steps `mailshift plan` announces follow the spec's scenario (the order its workflow
// runs them in: workflows/*-migration.ts).
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { plannedSteps } from '../../scripts/cli/plan';
import { parseSpec } from '../../workflows/spec';

const now = new Date('2026-12-01T08:00:00Z');
const stepsOf = (scenario: 'classical' | 'mx-first') => plannedSteps(parseSpec(demoSpec(scenario, new Date('2026-12-03T20:00:00Z')), now), [600], now);

it('mx-first: the MX moves at the migration hour, users get host2 at once, old mail is back-filled, host1 closes at gate close-old', () => {
  const steps = stepsOf('mx-first');
  const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s));
  expect(steps.some((s) => /pre-sync|gate cutover|post-sync/.test(s))).toBe(false);
  expect(at(/wait until the migration hour/)).toBeGreaterThan(at(/lower the TTL/));
  expect(at(/^gate switch-mx/)).toBeGreaterThan(at(/wait until the migration hour/));
  expect(at(/new credentials/)).toBeGreaterThan(at(/switch the MX/));
  expect(at(/back-fill every mailbox .*never deleting/)).toBeGreaterThan(at(/new credentials/));
  expect(at(/^gate close-old/)).toBeGreaterThan(at(/back-fill/));
  expect(steps.at(-1)).toMatch(/restore the TTL/);
});

it('classical: pre-syncs, a cut-over per wave, the MX switch and post-syncs', () => {
  const steps = stepsOf('classical');
  expect(steps.some((s) => /back-fill|close-old/.test(s))).toBe(false);
  expect(steps.filter((s) => /^gate cutover/.test(s))).toHaveLength(new Set(demoSpec('classical', now).mailboxes.map((m) => m.wave)).size);
  expect(steps.some((s) => /post-sync the INBOX/.test(s))).toBe(true);
});
