// Holding a wave's incoming mail at cut-over and releasing it to host2 (or back to host1
// on rollback): the activities' inputs. The provider is the spec's mailFlow.hold
// (workflows/spec.ts), pluggable like access and DNS; only `postfix` exists now.
import { z } from 'zod';
import { holdAddress, mailHoldProvider } from '../../workflows/spec';

export type MailHoldConfig = z.output<typeof mailHoldProvider>;

export const mailHoldInput = z.strictObject({
  hold: mailHoldProvider,
  /** The wave's recipient addresses. */
  addresses: z.array(holdAddress),
});
export type MailHoldInput = z.input<typeof mailHoldInput>;

export const releaseInput = mailHoldInput.extend({
  /** host2: re-route the addresses there and release; host1 (rollback): drop hold and re-route, release. */
  to: z.enum(['host1', 'host2']),
});
export type ReleaseInput = z.input<typeof releaseInput>;

/** Messages in the queue with a recipient among the addresses, by queue. */
export interface QueuedFor {
  held: number;
  /** Not yet delivered and not held: incoming, active, deferred (and maildrop). */
  pending: number;
}

export interface MailHoldReport {
  /** The maps changed (false on a retry that found everything done). */
  changed: boolean;
  /** Messages moved out of hold. */
  released: number;
}
