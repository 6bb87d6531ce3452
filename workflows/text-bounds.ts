// How much text from outside the runbook (an approver's name, a comment, a signal's name,
// an activity's error) it takes or keeps: the audit log carries it into the status answer
// and through continue-as-new, and each of those has a size limit.

/** A name: an approver, a gate, a decision, a signal. */
export const NAME_MAX_CHARS = 200;
/** A comment, a reason, an error. */
export const TEXT_MAX_CHARS = 2_000;

/**
 * `text` cut to at most `max` characters, saying how many were cut. The note counts in
 * the length, so clipping a clipped text changes nothing.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const kept = Math.max(0, max - `…(+${text.length} chars)`.length);
  return `${text.slice(0, kept)}…(+${text.length - kept} chars)`;
}
