// What the status query says of the mailboxes however many there are: counts per wave, and
// a bounded list of them with the failing ones first (one mailbox: the `mailbox` query).
import type { WaveMailHold } from './mail-hold';
import type { MailboxState } from './status';

export interface WaveTotals {
  wave: string;
  mailboxes: number;
  /** A sync of the mailbox has completed. */
  synced: number;
  /** Its last round failed (or its final sync left messages missing, or preflight's size audit found it does not fit on host2). */
  failed: number;
  /** Users' access to host1 is cut. */
  cut: number;
  /** Users were given host2. */
  onHost2: number;
  /** The server throttled it in the round under way: it waits (status: throttledUntil). Absent when none. */
  throttled?: number;
}

/** How many mailboxes the status query lists; the others are counted in `waves`. */
export const STATUS_MAILBOXES = 200;

export const isFailing = (m: MailboxState): boolean => (!!m.last && (!m.last.ok || (m.last.kind === 'final' && m.last.missing > 0))) || !!m.size?.doesNotFit;

/** Per wave, in the order waves first appear. */
export function waveTotals(mailboxes: Record<string, MailboxState>, accessCut: Iterable<string>): WaveTotals[] {
  const cut = new Set(accessCut);
  const waves = new Map<string, WaveTotals>();
  // A loop without an array per mailbox: at 100,000 of them every status and UI update runs it.
  for (const user in mailboxes) {
    const m = mailboxes[user];
    let w = waves.get(m.wave);
    if (!w) waves.set(m.wave, (w = { wave: m.wave, mailboxes: 0, synced: 0, failed: 0, cut: 0, onHost2: 0 }));
    w.mailboxes++;
    if (m.synced) w.synced++;
    if (isFailing(m)) w.failed++;
    if (cut.has(user)) w.cut++;
    if (m.usersOnHost2) w.onHost2++;
    if (m.throttledUntil) w.throttled = (w.throttled ?? 0) + 1;
  }
  return [...waves.values()];
}

/** At most `limit` mailboxes, the failing ones first, then in the spec's order. */
export function shownMailboxes(mailboxes: Record<string, MailboxState>, limit = STATUS_MAILBOXES): { shown: Record<string, MailboxState>; omitted: number } {
  let count = 0;
  const failing: string[] = [];
  const rest: string[] = [];
  for (const user in mailboxes) {
    count++;
    if (isFailing(mailboxes[user])) {
      if (failing.length < limit) failing.push(user);
    } else if (rest.length < limit) rest.push(user);
  }
  if (count <= limit) return { shown: mailboxes, omitted: 0 };
  const shown: Record<string, MailboxState> = {};
  for (const user of [...failing, ...rest].slice(0, limit)) shown[user] = mailboxes[user];
  return { shown, omitted: count - limit };
}

/** ", N throttled by the server": mailboxes waiting out a throttle, as every status screen says it. */
export const throttledText = (w: WaveTotals): string => (w.throttled ? `, ${w.throttled} throttled by the server` : '');

/** A wave's mail on hold (spec mailFlow.hold), as the status screens say it after its counts. */
export const heldText = (h?: WaveMailHold): string => (!h ? '' : h.released ? ', mail re-routed to host2' : `, ${h.held} message(s) held on host1's MTA`);
