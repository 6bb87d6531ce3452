// Temporal refuses a payload over 2 MB (a workflow's input, a child's input, a
// continue-as-new). A migration of thousands of mailboxes carries a large spec, and each
// mailbox's sync state on top; the states are only a speed-up (a mailbox without one is
// compared in full on its next sync), so they are what gives way.
import type { SyncState } from '../activities/imap/types';

/** What mailshift lets one payload hold, leaving room under Temporal's 2 MB. */
export const PAYLOAD_BUDGET_BYTES = 1_500_000;

/** The size of a value as a JSON payload: its UTF-8 bytes, as Temporal counts them. */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

/** UTF-8 length without encoding (workflow code has no Buffer): 1 to 3 bytes a UTF-16 unit, 4 a surrogate pair. */
function utf8Bytes(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) bytes += unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/** What one mailbox's state adds to a `previousStates` map or an outcome: `"user":state,`. */
export const stateEntryBytes = (user: string, state: SyncState | undefined): number => (state ? jsonBytes(state) + user.length + 4 : 0);

/** `input` with as many of `states` (of its mailboxes, in order) as fit the payload budget. */
export function withStatesWithinBudget<T extends { mailboxes: string[]; previousStates?: Record<string, SyncState> }>(
  input: T,
  states: Record<string, SyncState>,
): T {
  return { ...input, previousStates: statesWithin(states, input.mailboxes, PAYLOAD_BUDGET_BYTES - jsonBytes({ ...input, previousStates: {} })) };
}

/** The states of `users` that fit in `room` bytes, in order; the others are left out. */
export function statesWithin(states: Record<string, SyncState>, users: string[], room: number): Record<string, SyncState> {
  const kept: Record<string, SyncState> = {};
  let used = 0;
  for (const user of users) {
    const state = states[user];
    const size = stateEntryBytes(user, state);
    if (!state || used + size > room) continue;
    used += size;
    kept[user] = state;
  }
  return kept;
}
