// Where did the canary land? Its token is searched for in the INBOX of the canary's
// mailbox on host1 and on host2 (read-only: nothing is changed on either side). The
// runbook polls this on a durable timer; each call is one quick look.
import type { ImapAccount, ImapSide } from '../imap/types';
import { openSession } from '../imap/session';
import { CANARY_HEADER } from './send-canary';

export interface FindCanaryInput {
  token: string;
  /** The mailbox's label in errors. */
  mailbox: string;
  host1: ImapAccount;
  host2: ImapAccount;
}

/** Messages carrying the token, in each side's INBOX. */
export interface CanarySighting {
  host1: number;
  host2: number;
}

async function count(side: ImapSide, account: ImapAccount, input: FindCanaryInput): Promise<number> {
  const session = await openSession(side, account, input.mailbox);
  try {
    await session.client.mailboxOpen('INBOX', { readOnly: true });
    const found = await session.client.search({ header: { [CANARY_HEADER]: input.token } }, { uid: true });
    return found ? found.length : 0;
  } finally {
    await session.close();
  }
}

export async function findCanary(input: FindCanaryInput): Promise<CanarySighting> {
  const [host1, host2] = await Promise.all([count('host1', input.host1, input), count('host2', input.host2, input)]);
  return { host1, host2 };
}
