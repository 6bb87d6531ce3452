// What approving each gate lets happen: the approvers' notices say it (the workflow
// passes it; activities/notify/render.ts derives it when a caller gives only the gate).
import type { GateName } from './spec';

/** What approving each gate lets happen, in the approver's notices. */
export const GATE_MEANING: Record<GateName, string> = {
  start: 'the migration starts: TTLs are lowered and the daily pre-syncs begin',
  cutover: 'users lose access to the old server and the final sync runs',
  'switch-mx': 'new mail goes to the new server (the MX records change)',
  'shutdown-old': 'the IMAP host name moves to the new server',
  done: 'the post-syncs end and the TTLs go back to normal',
  'close-old': 'the back-fill is over: the old server may be closed, users are told the move is complete and the TTLs go back to normal',
  'step-failed': 'the failed step runs again ("decision":"retry"), or the runbook goes on without it ("decision":"skip", where the rules allow)',
  canary:
    'the runbook goes on as if the canary had reached host2, and users are told the old server is gone (or, with "decision":"retry", a new canary goes out: once the mail flow is fixed)',
  'dns-conflict': 'mailshift makes its change over the record as it is now (put the record back yourself first, or roll back, if it must stay)',
};
