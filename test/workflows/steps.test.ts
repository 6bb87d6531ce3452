// Which timeline step the runbook is at, from the phases it enters (workflows/steps.ts).
import { CLASSICAL_STEPS, HOLD_AND_RELEASE_STEPS, LUCKY_STEPS, MX_FIRST_STEPS, stepAfter, stepsOf, type TimelineStep } from '../../workflows/steps';

/** The step labels the runbook is at after each phase, starting before the first. */
function walk(steps: TimelineStep[], phases: string[], from = -1): string[] {
  let current = from;
  return phases.map((phase) => steps[(current = stepAfter(steps, current, phase))]?.label ?? '(none)');
}

it('follows a classical migration, provisioning host2, waves, a failed step and the post-sync loop included', () => {
  const phases = [
    'provisioning host2',
    'preflight',
    'waiting for start',
    'lowering TTL',
    'waiting for step-failed (lower TTL)',
    'lowering TTL',
    'pre-sync',
    'waiting for cutover (friendly-users)',
    'cut-over: friendly-users',
    'final sync: friendly-users',
    'waiting for cutover (everyone)',
    'checking the final sync',
    'final sync: again',
    'waiting for switch-mx',
    'switching MX',
    'waiting the low TTL',
    'post-sync',
    'handing out host2',
    'post-syncing until quiet',
    'post-sync',
    'restoring TTL',
    'completed',
  ];
  expect(walk(CLASSICAL_STEPS, phases)).toEqual([
    'create the mailboxes on host2 (when the spec says how)',
    'preflight: log in on both sides, compare',
    'gate start',
    'lower the TTLs, wait the old TTL',
    'lower the TTLs, wait the old TTL',
    'lower the TTLs, wait the old TTL',
    'pre-sync until the migration hour',
    'each wave: gate cutover, cut access, final sync',
    'each wave: gate cutover, cut access, final sync',
    'each wave: gate cutover, cut access, final sync',
    'each wave: gate cutover, cut access, final sync',
    'check every final sync',
    'check every final sync',
    'gate switch-mx',
    'switch the MX to host2',
    'wait the low TTL',
    'post-sync',
    'hand out host2',
    'post-sync until quiet (or gate done)',
    'post-sync until quiet (or gate done)',
    'restore the TTLs',
    'restore the TTLs',
  ]);
});

it("tells the lucky scenario's two low-TTL waits apart", () => {
  const phases = ['waiting for cutover', 'waiting the low TTL', 'cut-over: everyone', 'switching MX', 'waiting the low TTL', 'waiting for shutdown-old'];
  expect(walk(LUCKY_STEPS, phases, 4)).toEqual([
    'gate cutover',
    'access by DNS: wait the low TTL',
    'each wave: cut access, final sync',
    'switch the MX to host2',
    'wait the low TTL',
    'gate shutdown-old',
  ]);
});

it('finds its step again in a run continued-as-new', () => {
  expect(walk(CLASSICAL_STEPS, ['post-syncing until quiet', 'post-sync'])).toEqual([
    'post-sync until quiet (or gate done)',
    'post-sync until quiet (or gate done)',
  ]);
  expect(walk(LUCKY_STEPS, ['pre-sync'])).toEqual(['pre-sync until the migration hour']);
});

it('follows an mx-first migration: the MX first, host2 handed out, the back-fill loop and its failed round included', () => {
  expect(stepsOf('mx-first')).toBe(MX_FIRST_STEPS);
  const phases = [
    'provisioning host2',
    'preflight',
    'waiting for start',
    'lowering TTL',
    'waiting out the old TTL',
    'waiting for the migration hour',
    'waiting for switch-mx',
    'switching MX',
    'waiting the low TTL',
    'sending the canary',
    'handing out host2',
    'back-fill',
    'waiting for step-failed (back-fill)',
    'back-fill',
    'back-fill',
    'waiting for close-old',
    'restoring TTL',
    'completed',
  ];
  expect(walk(MX_FIRST_STEPS, phases)).toEqual([
    'create the mailboxes on host2 (when the spec says how)',
    'preflight: log in on both sides, compare',
    'gate start',
    'lower the TTLs, wait the old TTL',
    'lower the TTLs, wait the old TTL',
    'wait for the migration hour',
    'gate switch-mx',
    'switch the MX to host2',
    'wait the low TTL',
    'canary through the new MX (when the spec has one)',
    'hand out host2',
    'back-fill old mail from host1 until a round copies nothing',
    'back-fill old mail from host1 until a round copies nothing',
    'back-fill old mail from host1 until a round copies nothing',
    'back-fill old mail from host1 until a round copies nothing',
    'gate close-old (host1 stays readable until then)',
    'restore the TTLs',
    'restore the TTLs',
  ]);
});

it('follows hold-and-release: its two low-TTL waits, a final sync again and a failed check of the relay', () => {
  const phases = [
    'waiting for cutover',
    'cut-over: friendly-users',
    'cut-over: everyone',
    'holding mail on the relay',
    'moving MX to the holding relay',
    'waiting the low TTL',
    "checking host1's MTA queue",
    'final sync: friendly-users',
    'final sync: everyone',
    'checking the final sync',
    'final sync: again',
    'releasing held mail to host2',
    'switching MX',
    'waiting the low TTL',
    'sending the canary',
    'handing out host2',
    'checking the holding relay is empty',
    'waiting for step-failed (holding relay empty)',
    'checking the holding relay is empty',
    'restoring TTL',
  ];
  expect(walk(HOLD_AND_RELEASE_STEPS, phases, 4)).toEqual([
    'gate cutover',
    'each wave: cut access',
    'each wave: cut access',
    'hold all mail on the relay, MX to the relay',
    'hold all mail on the relay, MX to the relay',
    'wait the low TTL (MX on the relay)',
    "nothing pending for the users on host1's MTA",
    'each wave: final sync',
    'each wave: final sync',
    'check every final sync',
    'check every final sync',
    'release the held mail to host2',
    'switch the MX to host2',
    'wait the low TTL (MX on host2)',
    'canary through the new MX (when the spec has one)',
    'hand out host2',
    'the relay holds nothing more',
    'the relay holds nothing more',
    'the relay holds nothing more',
    'restore the TTLs',
  ]);
  expect(stepsOf('hold-and-release')).toBe(HOLD_AND_RELEASE_STEPS);
});
