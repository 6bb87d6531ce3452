// `mailshift plan`'s list of steps for each scenario (the pure part of plan.ts).
import { plannedSteps } from '../../scripts/cli/plan';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { parseSpec } from '../../workflows/spec';
import { holdingRelay } from '../workflows/fixtures/holding-relay';

const now = new Date('2026-01-01T00:00:00Z');
const base = demoSpec('classical', new Date('2026-01-05T00:00:00Z'));

it('plans hold-and-release in its own order: MX to the relay before the final sync, release after verification, no post-sync', () => {
  const spec = parseSpec({ ...base, scenario: 'hold-and-release', mailFlow: { holdingRelay } }, now);
  const steps = plannedSteps(spec, [600], now);
  const at = (re: RegExp) => steps.findIndex((s) => re.test(s));
  expect(steps.filter((s) => s.startsWith('gate cutover'))).toEqual(['gate cutover: an approver (operator) approves (every wave at once)']);
  expect(at(/MX of example\.test\. to 10 hold\.example\.test\./)).toBeLessThan(at(/^final sync/));
  expect(at(/host1's MTA has nothing pending/)).toBeLessThan(at(/^final sync/));
  expect(at(/^release the held mail to host2/)).toBeGreaterThan(at(/^final sync/));
  expect(at(/MX of example\.test\. to 10 mail2/)).toBeGreaterThan(at(/^release the held mail/));
  expect(at(/queue must be empty/)).toBeGreaterThan(at(/new credentials/));
  expect(steps.some((s) => /post-sync/.test(s) && !/no post-syncs/.test(s))).toBe(false);
  expect(steps.some((s) => /gate switch-mx/.test(s))).toBe(false);
});

it('keeps the classical plan as it was', () => {
  const steps = plannedSteps(parseSpec(base, now), [600], now);
  expect(steps.filter((s) => s.startsWith('gate cutover'))).toHaveLength(2);
  expect(steps.some((s) => /post-sync the INBOX/.test(s))).toBe(true);
  expect(steps.some((s) => /holding relay/.test(s))).toBe(false);
});

it('mx-first: the MX moves at the migration hour, users get host2 at once, old mail is back-filled, host1 closes at gate close-old', () => {
  const steps = plannedSteps(parseSpec(demoSpec('mx-first', new Date('2026-01-05T00:00:00Z')), now), [600], now);
  const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s));
  expect(steps.some((s) => /pre-sync|gate cutover|post-sync/.test(s))).toBe(false);
  expect(at(/wait until the migration hour/)).toBeGreaterThan(at(/lower the TTL/));
  expect(at(/^gate switch-mx/)).toBeGreaterThan(at(/wait until the migration hour/));
  expect(at(/new credentials/)).toBeGreaterThan(at(/switch the MX/));
  expect(at(/back-fill every mailbox .*never deleting/)).toBeGreaterThan(at(/new credentials/));
  expect(at(/^gate close-old/)).toBeGreaterThan(at(/back-fill/));
  expect(steps.at(-1)).toMatch(/restore the TTL/);
});

it('with provisioning, every scenario creates the mailboxes on host2 first, before preflight', () => {
  const provisioning = { method: 'command' as const, path: '/usr/local/sbin/host2-create' };
  for (const scenario of ['classical', 'lucky', 'mx-first'] as const) {
    const steps = plannedSteps(parseSpec({ ...demoSpec(scenario, new Date('2026-01-05T00:00:00Z')), provisioning }, now), [600], now);
    expect(steps[0]).toBe('create the mailboxes on host2 (provisioning: command; idempotent, empty mailboxes only)');
    expect(steps[1]).toMatch(/^preflight: /);
  }
  expect(plannedSteps(parseSpec(base, now), [600], now)[0]).toMatch(/^preflight: /);
});

it('says at the cut-over step whether sessions already open on host1 are closed', () => {
  const cutStep = (access: object) => plannedSteps(parseSpec({ ...base, access }, now), [600], now).find((s) => /access cut/.test(s))!;
  const { doveadmConfig, ...denyList } = base.access as { method: string; denyFile: string; doveadmConfig: string };
  expect(cutStep({ ...denyList, doveadmConfig })).toMatch(/open sessions on host1 closed/);
  expect(cutStep(denyList)).toMatch(/sessions already open on host1 stay open/);
});
