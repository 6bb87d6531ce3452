// The failures a DNS activity ends with, as Temporal failures a workflow (and a mail
// admin) can act on: the type says whether retrying can help, the message says which
// record, which server and what was found. No message ever holds a secret: only key
// names, secret references and server addresses.
import { ApplicationFailure } from '@temporalio/common';
import type { RRset } from './records';

/** The zone holds something other than what mailshift expected: someone else changed it. Nothing was written. */
export const DNS_CONFLICT = 'DnsConflict';
/** The server refused our credentials (TSIG key, API key) or our right to change the zone. */
export const DNS_AUTH_REFUSED = 'DnsAuthRefused';
/** Unreachable, timed out, SERVFAIL, 5xx: the next attempt may work. */
export const DNS_UNAVAILABLE = 'DnsUnavailable';
/** The server refused the change itself (malformed, not its zone, bad content). */
export const DNS_REJECTED = 'DnsRejected';
/** A reply that claims to come from the server but whose TSIG signature does not verify. */
export const DNS_REPLY_UNVERIFIED = 'DnsReplyUnverified';
/** The request is wrong (bad name, type, value, provider config): fix the input. */
export const DNS_REQUEST_INVALID = 'DnsRequestInvalid';
/** The server accepted a change but does not answer it afterwards. */
export const DNS_NOT_APPLIED = 'DnsNotApplied';

/** For messages: `TTL 3600 [10 mx1.example.test.]`, or `no records`. */
export function describeRRset(r: RRset | null): string {
  return r ? `TTL ${r.ttl} [${r.values.join(', ')}]` : 'no records';
}

export function invalidRequest(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, DNS_REQUEST_INVALID);
}

export function conflict(name: string, type: string, expected: RRset | null, actual: RRset | null, where: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${name} ${type} on ${where} is not what mailshift expected (someone else changed it): ` +
      `expected ${describeRRset(expected)}, found ${describeRRset(actual)}; nothing was changed`,
    DNS_CONFLICT,
    { name, type, expected, actual },
  );
}

export function authRefused(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, DNS_AUTH_REFUSED);
}

export function unavailable(message: string): ApplicationFailure {
  return ApplicationFailure.retryable(message, DNS_UNAVAILABLE);
}

export function rejected(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, DNS_REJECTED);
}

export function replyUnverified(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, DNS_REPLY_UNVERIFIED);
}

export function notApplied(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, DNS_NOT_APPLIED);
}
