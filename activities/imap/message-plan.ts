// Pairs host1's messages with host2's by identity, as a multiset: for each key, the first
// n on one side pair with the first n on the other (in internal-date order), whatever is
// left over on host1 is to copy, on host2 is extra. Pure: tested without servers.
import type { MessageSummary } from './inventory';

export interface MessagePair {
  source: MessageSummary;
  destination: MessageSummary;
}

export interface MessagePlan {
  pairs: MessagePair[];
  /** On host1, not on host2. */
  toCopy: MessageSummary[];
  /** On host2, not on host1. */
  extra: MessageSummary[];
  /** Pairs whose flags differ: host2 takes host1's flags. */
  flagUpdates: MessagePair[];
}

/** Keys found more than once on either side: those messages need a content digest. */
export function ambiguousKeys(source: MessageSummary[], destination: MessageSummary[]): Set<string> {
  const ambiguous = new Set<string>();
  for (const side of [source, destination]) {
    const seen = new Set<string>();
    for (const m of side) {
      if (seen.has(m.key)) ambiguous.add(m.key);
      seen.add(m.key);
    }
  }
  return ambiguous;
}

function matchKey(m: MessageSummary): string {
  return m.digest ? `${m.key}#${m.digest}` : m.key;
}

function groupByKey(messages: MessageSummary[]): Map<string, MessageSummary[]> {
  const groups = new Map<string, MessageSummary[]>();
  for (const m of messages) {
    const k = matchKey(m);
    const list = groups.get(k);
    if (list) list.push(m);
    else groups.set(k, [m]);
  }
  // A stable order on both sides, so identical copies pair the same way every run.
  for (const list of groups.values()) list.sort((a, b) => a.internalDate - b.internalDate || a.origin - b.origin || a.uid - b.uid);
  return groups;
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

export function matchMessages(source: MessageSummary[], destination: MessageSummary[]): MessagePlan {
  const plan: MessagePlan = { pairs: [], toCopy: [], extra: [], flagUpdates: [] };
  // Nothing to pair with (a first copy): no groups to build, however large the folder.
  if (!destination.length) {
    plan.toCopy = [...source].sort(copyOrder);
    return plan;
  }
  const onDestination = groupByKey(destination);
  for (const [key, fromSource] of groupByKey(source)) {
    const there = onDestination.get(key) ?? [];
    fromSource.forEach((m, i) => {
      const copy = there[i];
      if (!copy) {
        plan.toCopy.push(m);
        return;
      }
      const pair = { source: m, destination: copy };
      plan.pairs.push(pair);
      if (!sameFlags(m.flags, copy.flags)) plan.flagUpdates.push(pair);
    });
    if (there.length > fromSource.length) plan.extra.push(...there.slice(fromSource.length));
    onDestination.delete(key);
  }
  for (const rest of onDestination.values()) plan.extra.push(...rest);
  plan.toCopy.sort(copyOrder);
  return plan;
}

// Copy in host1's order (UID order within each source folder): mail clients see the
// oldest first, and a copy interrupted half-way leaves a clean prefix.
const copyOrder = (a: MessageSummary, b: MessageSummary) => a.origin - b.origin || a.uid - b.uid;
