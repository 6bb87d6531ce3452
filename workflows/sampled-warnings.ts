// Warnings anyone who can signal a migration can cause (a refused signal, a dropped one) go
// to the worker's log sampled, so that a flood of them cannot bury the rest of the log: each
// run logs the first ten, then one in a hundred, with the count so far. The audit log
// counts refusals whatever the log shows.
import { log } from '@temporalio/workflow';

const LOGGED_FIRST = 10;
const LOGGED_EVERY = 100;

export class SampledWarnings {
  private seen = 0;

  /** @param countField the attribute that carries the count so far (e.g. `refusalsSoFar`) */
  constructor(private readonly countField: string) {}

  warn(message: string, attributes: Record<string, unknown>): void {
    const n = ++this.seen;
    if (n <= LOGGED_FIRST || n % LOGGED_EVERY === 0) log.warn(message, { ...attributes, [this.countField]: n });
  }
}
