// A round page's outcomes as its result reaches the runbook: by column, run-length encoded
// (mailbox-columns.ts). A page's 1,000 outcomes are mostly alike (ok, nothing missing, the
// same size audit fields absent), so the runbook's history holds a few kilobytes a page
// instead of a hundred or more: at 100,000 mailboxes a round's results alone took tens of
// megabytes of a run's history, where Temporal stops a workflow at 50 MB.
import { decode, runsOf, type Column } from './mailbox-columns';
import type { MailboxOutcome } from './round-outcome';

export interface PackedOutcomes {
  /** The mailboxes, in the outcomes' order. */
  mailboxes: string[];
  /** Each other field of MailboxOutcome over them. */
  fields: Record<string, Column>;
}

export function packOutcomes(outcomes: MailboxOutcome[]): PackedOutcomes {
  const names = new Set<string>();
  for (const o of outcomes) for (const f in o) if (f !== 'mailbox') names.add(f);
  const fields = Object.fromEntries([...names].map((f) => [f, runsOf(outcomes.map((o) => (o as unknown as Record<string, unknown>)[f]))]));
  return { mailboxes: outcomes.map((o) => o.mailbox), fields };
}

/** The outcomes of a page, packed or (a child of an older runbook) as they were. */
export function unpackOutcomes(result: PackedOutcomes | MailboxOutcome[]): MailboxOutcome[] {
  if (Array.isArray(result)) return result;
  const columns = Object.entries(result.fields).map(([f, c]) => [f, decode(c)] as const);
  return result.mailboxes.map((mailbox, i) => {
    const o: Record<string, unknown> = { mailbox };
    for (const [f, values] of columns) if (values[i] !== undefined) o[f] = values[i];
    return o as unknown as MailboxOutcome;
  });
}
