// The Web UI's "Current Details" of a migration (Markdown). The UI shows two lines before
// "show more": the first says the phase, the open gate and the exact approve input; then
// each wave's progress and the next timer. Counts read "3 of 3": the UI's Markdown turns
// "3/3" into a fraction glyph.
import type { GateName } from './spec';
import type { MigrationStatus } from './status';
import { heldText, throttledText } from './wave-totals';

/** What `mailshift approve` needs after the gate: step-failed takes a decision. */
export const approveDecisionFlag = (gate: GateName): string => (gate === 'step-failed' ? ' --decision retry' : '');

/** The input the `approve` signal (or Update) takes at `gate`. */
export function approveInput(gate: GateName): string {
  const decision = gate === 'step-failed' ? ',"decision":"retry"' : '';
  return `{"gate":"${gate}","by":"<approver>"${decision}}`;
}

/** Hold-and-release: what the holding relay does with the domain's mail. */
const relayText = (r: MigrationStatus['relayHold']): string =>
  !r
    ? ''
    : r.released
      ? `holding relay: mail released to ${r.released}`
      : `holding relay: **holds the domain's mail**${r.held ? ` (${r.held} message(s) last counted)` : ''}`;

/** What the details show of the status (the mailboxes are counted per wave). */
export type DetailsShown = Pick<
  MigrationStatus,
  'phase' | 'paused' | 'openGate' | 'waves' | 'mailHold' | 'relayHold' | 'nextTimer' | 'conflict' | 'canary' | 'failure'
>;

export function currentDetails(s: DetailsShown, workflowId: string): string {
  const gate = s.openGate;
  const first = [`**${s.phase}**${s.paused ? ' (paused)' : ''}`];
  first.push(gate ? `gate **${gate}** open: signal \`approve\` with \`${approveInput(gate)}\`` : 'no gate open');
  const waves = s.waves.map(
    (w) =>
      `wave **${w.wave}**: ${w.synced} of ${w.mailboxes} synced${w.failed ? `, **${w.failed} failed**` : ''}${throttledText(w)}${heldText(s.mailHold?.[w.wave])}`,
  );
  return [
    first.join(' · '),
    [...waves, relayText(s.relayHold), s.nextTimer ? `next: ${s.nextTimer.what} at ${s.nextTimer.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : '']
      .filter(Boolean)
      .join(' · '),
    gate ? `From a shell: \`mailshift approve ${workflowId} ${gate} --by <you>${approveDecisionFlag(gate)}\`` : '',
    s.conflict ?? '',
    s.canary ?? '',
    s.failure
      ? `Step **${s.failure.step}** failed: ${s.failure.error}. Already changed: ${s.failure.changed.join('; ') || 'nothing'}. Choose: ${s.failure.choices}.`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
