// How much text from outside the runbook (an approver's name, a comment, a signal's name,
// an activity's error) it takes or keeps: the audit log carries it into the status answer
// and through continue-as-new, and each of those has a size limit.

/** A name: an approver, a gate, a decision, a signal. */
export const NAME_MAX_CHARS = 200;
/** A comment, a reason, an error. */
export const TEXT_MAX_CHARS = 2_000;

/** `text` cut to `max` characters, saying how many were cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(+${text.length - max} chars)`;
}
