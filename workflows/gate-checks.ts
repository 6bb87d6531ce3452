// What an approver should know before approving a gate: the last round's results, the
// final sync's verification, preflight's size audit, users' own mail on host2.
import { formatBytes } from './bytes';
import type { Runbook } from './runbook';
import { failedCount } from './status';

export function checksSoFar(run: Runbook): string {
  const last = run.rounds.at(-1);
  if (!last) return 'No mailbox round has run yet.';
  const failed = last.failed.length ? `; failed: ${named(last.failed, failedCount(last))}` : '';
  const verified = run.finalSync ? Object.keys(run.finalSync.missing).length : 0;
  const own = Object.entries(run.mailboxes).filter(([, m]) => m.ownMailOnHost2);
  const sizes = Object.values(run.mailboxes).flatMap((m) => (m.size ? [m.size] : []));
  const bytes = (k: 'host1Bytes' | 'toCopyBytes') => formatBytes(sizes.reduce((n, s) => n + s[k], 0));
  return [
    `Last round (${last.kind}${last.wave ? `, ${last.wave}` : ''}): ${last.mailboxes - failedCount(last)}/${last.mailboxes} mailboxes ok, ${last.copied} messages copied${failed}.`,
    verified
      ? `Final sync verified for ${verified}/${run.mailboxCount} mailboxes; missing on host2: ${Object.values(run.finalSync!.missing).reduce((a, b) => a + b, 0)}.`
      : '',
    sizes.length
      ? `Size audit (preflight): ${bytes('toCopyBytes')} to copy to host2 (${bytes('host1Bytes')} on host1) for ${sizes.length} mailbox(es); every one fits host2's quota and message size limit.`
      : '',
    own.length
      ? `host2 already holds users' own mail (not from host1), kept and never deleted: ${named(own.map(([u, m]) => `${u} (${m.ownMailOnHost2})`))}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** A gate's notice names this many mailboxes of a list; the status and `mailshift report` have the rest. */
const NAMED = 20;

const named = (items: string[], count = items.length): string =>
  items.slice(0, NAMED).join(', ') + (count > NAMED ? ` and ${count - Math.min(NAMED, items.length)} more` : '');
