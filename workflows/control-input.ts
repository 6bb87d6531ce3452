// What an approver's request must look like before the runbook reads it: one object of
// known fields, each text within its limit. The handlers check it before they keep
// anything, and write a refusal to the audit log. An Update too large to accept is
// refused earlier, by its validator (gates.ts): an accepted Update's input goes into the
// acceptance message, and Temporal terminates a workflow whose acceptance exceeds its
// size limit.
import { clip, NAME_MAX_CHARS, TEXT_MAX_CHARS } from './text-bounds';

export type ControlAction = 'approve' | 'rollback' | 'pause' | 'resume';

/** A request the runbook refuses: the message says why, naming the field. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

const APPROVAL_FIELDS: Record<string, number> = { gate: NAME_MAX_CHARS, by: NAME_MAX_CHARS, comment: TEXT_MAX_CHARS, decision: NAME_MAX_CHARS };
const CONTROL_FIELDS: Record<string, number> = { by: NAME_MAX_CHARS, comment: TEXT_MAX_CHARS };

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** Throws a RefusedError unless `args` is one request of `action`'s shape, every field within its limit. */
export function checkControlInput(action: ControlAction, args: unknown[]): void {
  const fields = action === 'approve' ? APPROVAL_FIELDS : CONTROL_FIELDS;
  const example = action === 'approve' ? '{"gate":"…","by":"…"}' : '{"by":"…"}';
  if (args.length > 1) throw new RefusedError(`${action} takes one argument, not ${args.length}`);
  const [input] = args;
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new RefusedError(`${action} takes an object: ${example}, not ${kindOf(input)}`);
  for (const [field, value] of Object.entries(input)) {
    const max = fields[field];
    if (max === undefined) throw new RefusedError(`unknown field "${clip(field, 50)}": ${action} takes ${Object.keys(fields).join(', ')}`);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new RefusedError(`"${field}" must be text, not ${kindOf(value)}`);
    if (value.length > max) throw new RefusedError(`"${field}" is too long: ${value.length} characters, at most ${max}`);
  }
}
