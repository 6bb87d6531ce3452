// The bytes one sync may still copy (SyncRequest.maxBytes: what is left of its accounts'
// daily budget, workflows/byte-budget.ts). Shared by the folders copied in parallel: each
// reserves the messages it is about to copy, in order, as far as they fit; what a folder
// could not reserve ends the sync at the budget (BudgetReached), its finished folders kept.
import type { MessageSummary } from './inventory';

/** Thrown by a folder's copy that stopped at the budget; the sync returns what it finished. */
export class BudgetReached extends Error {
  constructor() {
    super('the daily byte budget is reached');
    this.name = 'BudgetReached';
  }
}

export class ByteAllowance {
  /** Message bytes copied (or reserved for a copy under way). */
  spent = 0;
  reached = false;

  constructor(readonly limit: number) {}

  /** Counts bytes already copied (folders a retried attempt resumes). */
  charge(bytes: number): void {
    this.spent += bytes;
  }

  /** The longest head of `messages` that fits, reserved; the budget is reached when that is not all of them. */
  reserve(messages: MessageSummary[]): MessageSummary[] {
    let n = 0;
    while (n < messages.length && this.spent + messages[n].size <= this.limit) this.spent += messages[n++].size;
    if (n < messages.length) this.reached = true;
    return messages.slice(0, n);
  }

  /** Settles a reservation of `reserved` bytes of which `copied` were stored (refused or vanished ones are not spent). */
  settle(reserved: number, copied: number): void {
    this.spent += copied - reserved;
  }
}
