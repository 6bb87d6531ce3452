// UID sets as IMAP commands carry them ("1:3,5,8:9"), cut to a size every server takes.
// Dovecot refuses an argument over 64 KB ("Too long argument"), about 11,000 scattered
// UIDs; RFC 7162 §4 asks clients to keep a command line within 8,192 octets. A listing by
// SEARCH result, a flag update or an expunge of many messages is sent in parts.

/** Octets of one UID set: the rest of the longest command we send (a FETCH naming its header fields) fits in what is left of 8,192. */
export const MAX_UID_SET_OCTETS = 7000;

/** "1:3,5,8:9" from UIDs in increasing order. */
export function uidSet(uids: number[]): string {
  return uidSets(uids, Infinity)[0] ?? '';
}

/** The UIDs (in increasing order) as UID sets of at most `maxOctets` each, ranges kept whole. */
export function uidSets(uids: number[], maxOctets = MAX_UID_SET_OCTETS): string[] {
  const sets: string[] = [];
  let parts: string[] = [];
  let octets = 0;
  for (let i = 0; i < uids.length;) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j] + 1) j++;
    const part = i === j ? `${uids[i]}` : `${uids[i]}:${uids[j]}`;
    if (parts.length && octets + 1 + part.length > maxOctets) {
      sets.push(parts.join(','));
      parts = [];
      octets = 0;
    }
    octets += (parts.length ? 1 : 0) + part.length;
    parts.push(part);
    i = j + 1;
  }
  if (parts.length) sets.push(parts.join(','));
  return sets;
}

/** Increasing and without repeats, as uidSets wants them. */
export function inUidOrder(uids: Iterable<number>): number[] {
  return [...new Set(uids)].sort((a, b) => a - b);
}
