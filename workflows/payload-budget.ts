// Temporal refuses a payload over 2 MB (a workflow's input, a child's input, a
// continue-as-new). A migration of thousands of mailboxes carries a large spec, and each
// mailbox's sync state on top; the states are only a speed-up (a mailbox without one is
// compared in full on its next sync), so they are what gives way.
import type { SyncState } from '../activities/imap/types';

/** What mailshift lets one payload hold, leaving room under Temporal's 2 MB. */
export const PAYLOAD_BUDGET_BYTES = 1_500_000;

/** The size of a value as a JSON payload (characters; close to bytes for this data). */
export const jsonBytes = (value: unknown): number => JSON.stringify(value)?.length ?? 0;

/** What one mailbox's state adds to a `previousStates` map or an outcome: `"user":state,`. */
export const stateEntryBytes = (user: string, state: SyncState | undefined): number => (state ? jsonBytes(state) + user.length + 4 : 0);

/** `input` with as many of `states` (of its mailboxes, in order) as fit the payload budget. */
export function withStatesWithinBudget<T extends { mailboxes: string[]; previousStates?: Record<string, SyncState> }>(input: T, states: Record<string, SyncState>): T {
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
