// The runbook's steps as a timeline shows them (the dashboard), in the order of each
// scenario (classical-migration.ts, lucky-migration.ts, mx-first-migration.ts,
// hold-and-release-migration.ts), and which one the runbook is at.
// The current step is read from the phases the runbook enters (`Runbook.enter`): nothing
// else has to keep track of it.
import type { MigrationSpec } from './spec';

export interface TimelineStep {
  label: string;
  /** The phases the runbook is in during this step (a phase may add ` (<wave>)` or `: <detail>`). */
  phases: string[];
}

const PREPARE: TimelineStep[] = [
  { label: 'create the mailboxes on host2 (when the spec says how)', phases: ['provisioning host2'] },
  { label: 'preflight: log in on both sides, compare', phases: ['preflight'] },
  { label: 'gate start', phases: ['waiting for start'] },
  { label: 'lower the TTLs, wait the old TTL', phases: ['lowering TTL', 'waiting out the old TTL'] },
  { label: 'pre-sync until the migration hour', phases: ['pre-sync'] },
];

const FINISH: TimelineStep[] = [
  { label: 'hand out host2', phases: ['handing out host2'] },
  { label: 'post-sync until quiet (or gate done)', phases: ['post-syncing until quiet'] },
  { label: 'restore the TTLs', phases: ['restoring TTL'] },
];

const CHECK_AND_SWITCH_MX: TimelineStep[] = [
  { label: 'check every final sync', phases: ['checking the final sync'] },
  { label: 'gate switch-mx', phases: ['waiting for switch-mx'] },
  { label: 'switch the MX to host2', phases: ['switching MX'] },
  { label: 'wait the low TTL', phases: ['waiting the low TTL'] },
  { label: 'canary through the new MX (when the spec has one)', phases: ['sending the canary', 'waiting for canary'] },
];

export const CLASSICAL_STEPS: TimelineStep[] = [
  ...PREPARE,
  {
    label: 'each wave: gate cutover, cut access, final sync',
    phases: ['waiting for cutover', 'cut-over', 'holding mail', 'final sync', 'releasing held mail to host2'],
  },
  ...CHECK_AND_SWITCH_MX,
  { label: 'post-sync', phases: ['post-sync'] },
  ...FINISH,
];

/** Parking the name and moving it enter no phase of their own: they show as passed once a later step is current. */
export const LUCKY_STEPS: TimelineStep[] = [
  ...PREPARE,
  { label: 'gate cutover', phases: ['waiting for cutover'] },
  { label: 'access by DNS: park the IMAP host name', phases: [] },
  { label: 'access by DNS: wait the low TTL', phases: ['waiting the low TTL'] },
  { label: 'each wave: cut access, final sync', phases: ['cut-over', 'holding mail', 'final sync', 'releasing held mail to host2'] },
  ...CHECK_AND_SWITCH_MX,
  { label: 'post-sync', phases: ['post-sync'] },
  { label: 'gate shutdown-old', phases: ['waiting for shutdown-old'] },
  { label: 'move the IMAP host name to host2', phases: [] },
  ...FINISH,
];

/** The MX and the users move first; the old mail follows, back-filled from host1. */
export const MX_FIRST_STEPS: TimelineStep[] = [
  ...PREPARE.slice(0, 4),
  { label: 'wait for the migration hour', phases: ['waiting for the migration hour'] },
  ...CHECK_AND_SWITCH_MX.slice(1),
  FINISH[0],
  { label: 'back-fill old mail from host1 until a round copies nothing', phases: ['back-fill'] },
  { label: 'gate close-old (host1 stays readable until then)', phases: ['waiting for close-old'] },
  FINISH[2],
];

/** Two low-TTL waits: the MX to the relay, then to host2 (the timeline moves only forward). */
export const HOLD_AND_RELEASE_STEPS: TimelineStep[] = [
  ...PREPARE,
  { label: 'gate cutover', phases: ['waiting for cutover'] },
  { label: 'each wave: cut access', phases: ['cut-over'] },
  { label: 'hold all mail on the relay, MX to the relay', phases: ['holding mail on the relay', 'moving MX to the holding relay'] },
  { label: 'wait the low TTL (MX on the relay)', phases: ['waiting the low TTL'] },
  { label: "nothing pending for the users on host1's MTA", phases: ["checking host1's MTA queue"] },
  { label: 'each wave: final sync', phases: ['final sync'] },
  { label: 'check every final sync', phases: ['checking the final sync'] },
  { label: 'release the held mail to host2', phases: ['releasing held mail to host2'] },
  { label: 'switch the MX to host2', phases: ['switching MX'] },
  { label: 'wait the low TTL (MX on host2)', phases: ['waiting the low TTL'] },
  CHECK_AND_SWITCH_MX.at(-1)!,
  { label: 'hand out host2', phases: ['handing out host2'] },
  { label: 'the relay holds nothing more', phases: ['checking the holding relay is empty'] },
  { label: 'restore the TTLs', phases: ['restoring TTL'] },
];

const STEPS: Record<MigrationSpec['scenario'], TimelineStep[]> = {
  classical: CLASSICAL_STEPS,
  lucky: LUCKY_STEPS,
  'mx-first': MX_FIRST_STEPS,
  'hold-and-release': HOLD_AND_RELEASE_STEPS,
};

export const stepsOf = (scenario: MigrationSpec['scenario']): TimelineStep[] => STEPS[scenario];

const inPhase = (phase: string, p: string) => phase === p || phase.startsWith(`${p} (`) || phase.startsWith(`${p}: `);

/**
 * The step the runbook is at once it enters `phase`: the first at or after `current` that
 * the phase belongs to. A phase of no later step (a gate dns-conflict or step-failed, a
 * rollback, a post-sync inside the post-sync-until-quiet loop) leaves the current step.
 */
export function stepAfter(steps: TimelineStep[], current: number, phase: string): number {
  const next = steps.findIndex((s, i) => i >= current && s.phases.some((p) => inPhase(phase, p)));
  return next >= 0 ? next : current;
}
