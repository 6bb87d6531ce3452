// The IMAP activities a Worker registers (functions only: everything exported here
// becomes an activity). Types are exported for workflows (`import type`).
export { syncMailbox, verifyMailbox } from './sync-mailbox';
export type * from './types';
