// The size audit preflight runs with each mailbox's verification: does what host1 holds fit
// on host2? Account sizes are checked before the move starts, not found out half-way
// through when host2 refuses mail (OVERQUOTA) or one message at a time (too big).
//
// What is counted as needed: the host1 messages the verification did not find on host2
// (by message identity), within the folder rules and filters: exactly what the next sync
// copies. Not "host1 total − host2 usage": host2's usage also holds users' own mail (kept,
// never deleted) and the audit would then under-count; mail earlier rounds copied is found
// by identity and not counted twice. Against it: what host2's storage quota leaves
// (limit − usage). Conservative on purpose: sizes are RFC822.SIZE (CRLF line ends), which
// servers storing LF (Dovecot's maildir) count smaller, and space a later sync may free on
// host2 (deleting what host1 no longer has) is not counted. Mail that reaches host1 after
// the audit is not in it: keep a margin in host2's quota.
//
// Against each message: the largest host2 accepts, the smaller of its APPENDLIMIT and its
// provider's documented limit (Gmail 35.6 MB...). A message over it does not fit, unless the
// operator chose to leave large messages out (spec sync.maxSizeBytes): then it is not in
// scope, not counted, and each sync reports it skipped.
import { formatBytes } from './errors';
import type { ImapSession } from './session';
import type { FolderVerifyResult, SizeAudit } from './types';

export interface Host2Limits {
  quota: SizeAudit['quota'];
  messageQuota?: SizeAudit['messageQuota'];
  appendLimit: number | null;
  providerLimit?: number;
}

/** The largest message host2 accepts: the smaller of the two limits it may have; null: none known. */
export function messageLimit(limits: Pick<Host2Limits, 'appendLimit' | 'providerLimit'>): number | null {
  const known = [limits.appendLimit, limits.providerLimit].filter((n): n is number => typeof n === 'number');
  return known.length ? Math.min(...known) : null;
}

type Resource = { usage?: number; limit?: number } | undefined;

/**
 * host2's quota for the mailbox (GETQUOTAROOT INBOX; imapflow reports STORAGE in bytes)
 * and its message size limit. APPENDLIMIT is taken from CAPABILITY when it carries a value
 * (RFC 7889 also allows a bare APPENDLIMIT with per-folder limits: not read here). Dovecot
 * 2.3 announces no APPENDLIMIT at all, even with `quota_max_mail_size` (it refuses the
 * message at APPEND with NO [LIMIT]): its limit is null here. `providerLimit`: the request's
 * destinationMaxMessageBytes.
 */
export async function host2Limits(dst: ImapSession, providerLimit?: number): Promise<Host2Limits> {
  const announced = dst.client.capabilities.get('APPENDLIMIT');
  const appendLimit = typeof announced === 'number' && announced > 0 ? announced : null;
  // false: no QUOTA capability, or the command failed (imapflow swallows the failure).
  const found = (await dst.client.getQuota('INBOX')) || undefined;
  const resource = (r: Resource) => (r?.limit ? { limit: r.limit, usage: r.usage ?? 0 } : undefined);
  const storage = resource(found?.storage as Resource);
  const messages = resource((found as Record<string, unknown> | undefined)?.message as Resource);
  return { quota: storage ?? null, ...(messages && { messageQuota: messages }), appendLimit, ...(providerLimit !== undefined && { providerLimit }) };
}

/** Sums the verification's folders and judges them against host2's limits (pure). */
export function sizeAudit(
  folders: Pick<FolderVerifyResult, 'sourceMessages' | 'sourceBytes' | 'largest' | 'missing' | 'missingBytes' | 'largestMissing' | 'tooLarge'>[],
  limits: Host2Limits,
): SizeAudit {
  const sum = (k: 'sourceMessages' | 'sourceBytes' | 'missing' | 'missingBytes') => folders.reduce((n, f) => n + f[k], 0);
  const max = (k: 'largest' | 'largestMissing') => folders.reduce((n, f) => Math.max(n, f[k]), 0);
  const audit = {
    host1Bytes: sum('sourceBytes'),
    host1Messages: sum('sourceMessages'),
    largest: max('largest'),
    toCopyBytes: sum('missingBytes'),
    toCopyMessages: sum('missing'),
    largestToCopy: max('largestMissing'),
    ...limits,
  };
  const reasons: string[] = [];
  const { quota, messageQuota } = limits;
  if (quota) {
    const free = Math.max(0, quota.limit - quota.usage);
    if (audit.toCopyBytes > free) {
      reasons.push(
        `needs ${formatBytes(audit.toCopyBytes)} (${audit.toCopyMessages} message(s) not yet on host2), ` +
          `host2 quota leaves ${formatBytes(free)} (${formatBytes(quota.usage)} used of ${formatBytes(quota.limit)})`,
      );
    }
  }
  if (messageQuota) {
    const free = Math.max(0, messageQuota.limit - messageQuota.usage);
    if (audit.toCopyMessages > free) reasons.push(`needs ${audit.toCopyMessages} message(s), host2 message quota leaves ${free} (of ${messageQuota.limit})`);
  }
  const limit = messageLimit(limits);
  if (limit !== null && audit.largestToCopy > limit) {
    const tooLarge = folders.reduce((n, f) => n + (f.tooLarge ?? 0), 0);
    const which = limit === limits.appendLimit ? 'its APPENDLIMIT' : "its provider's limit";
    reasons.push(
      `${tooLarge} message(s) larger than host2 accepts: largest ${formatBytes(audit.largestToCopy)}, ` +
        `host2 accepts at most ${formatBytes(limit)} (${which}); sync.maxSizeBytes would leave them out`,
    );
  }
  return { ...audit, fits: reasons.length === 0, reasons };
}
