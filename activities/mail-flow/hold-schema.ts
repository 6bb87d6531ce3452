// Holding a wave's incoming mail at cut-over and releasing it to host2 (or back to host1
// on rollback): the activities' inputs. The provider is the spec's mailFlow.hold
// (workflows/spec.ts), pluggable like access and DNS; only `postfix` exists now.
import { z } from 'zod';
import { holdAddress, holdingRelayProvider, mailHoldProvider, mtaQueue } from '../../workflows/spec';

export type MailHoldConfig = z.output<typeof mailHoldProvider>;

export const mailHoldInput = z.strictObject({
  hold: mailHoldProvider,
  /** The wave's recipient addresses. */
  addresses: z.array(holdAddress),
});
export type MailHoldInput = z.input<typeof mailHoldInput>;

/** Reading the queue needs only the MTA: a hold's config, or host1's MTA as a holding relay's scenario names it. */
export const mailQueueInput = z.strictObject({
  hold: z.union([mailHoldProvider, mtaQueue]),
  addresses: z.array(holdAddress),
});
export type MailQueueInput = z.input<typeof mailQueueInput>;

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

export type HoldingRelayConfig = z.output<typeof holdingRelayProvider>;

/** A mail domain as a Postfix map key: letters, digits, dots and dashes. */
const mailDomain = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, { message: 'must be a mail domain such as example.com' });

export const relayInput = z.strictObject({
  relay: holdingRelayProvider,
  /** The domain whose mail the relay holds (all of it). */
  domain: mailDomain,
});
export type RelayInput = z.input<typeof relayInput>;

export const relayReleaseInput = relayInput.extend({
  /** host2: once every mailbox is verified; host1: rollback. */
  to: z.enum(['host1', 'host2']),
});
export type RelayReleaseInput = z.input<typeof relayReleaseInput>;
