// The activities the runbook's own steps call (DNS, access, notices), with their retries.
// Mailbox syncs run in the mailbox-round child workflow, with their own timeouts.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';

export const act = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 10, initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
