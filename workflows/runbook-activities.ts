// The activities the runbook's own steps call (DNS, access, notices), with their retries.
// Mailbox syncs run in the mailbox-round child workflow, with their own timeouts.
import { proxyActivities, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import type * as activities from '../activities';

const retry: RetryPolicy = { maximumAttempts: 10, initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' };

export const actOptions: ActivityOptions = { startToCloseTimeout: '10 minutes', retry };
export const act = proxyActivities<typeof activities>(actOptions);

/**
 * cutAccess and restoreAccess go user by user over a page of a wave (access-steps.ts) and
 * heartbeat every 2 s while they do (activities/access/change-access.ts): a worker that
 * dies mid-page is noticed after 15 s and another one redoes the page (the methods are
 * idempotent), instead of the cut-over waiting out the 10 minutes.
 */
export const accessOptions: ActivityOptions = { startToCloseTimeout: '10 minutes', heartbeatTimeout: '15 seconds', retry };
