// Turns what imapflow throws into Temporal failures a workflow (and a mail admin) can act
// on: the type says whether retrying can help, the message names the mailbox and the side.
// Only our own words and the server's response text (redacted) go into a failure: never
// the original error object, whose fields may hold the command that was sent.
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { ImapSide } from './types';
import { IMAP_THROTTLED } from '../../workflows/throttle';

// IMAP_THROTTLED: the provider said "not now" (throttled, over its command or bandwidth
// limits, too many connections). Not retried by the activity's policy, which would only
// hammer the server; details [{ side, mailbox, retryAfterMs, reason }] say how long to wait.
// Defined with throttleOf in workflows/throttle.ts, which workflows may import.
export { IMAP_THROTTLED, throttleOf, type ThrottleDetails } from '../../workflows/throttle';

/** Wrong password, unknown user, master user not allowed: retrying cannot help. */
export const IMAP_LOGIN_FAILED = 'ImapLoginFailed';
/** host2 refused a message for lack of space: an admin must raise the quota first. */
export const IMAP_QUOTA_EXCEEDED = 'ImapQuotaExceeded';
/** Refused, reset, timed out: the server or the network may be back on the next attempt. */
export const IMAP_CONNECTION_FAILED = 'ImapConnectionFailed';
/** The certificate does not verify, or TLS is required and not offered: configuration. */
export const IMAP_TLS_FAILED = 'ImapTlsFailed';
/** A command the server refused (other than the above); retried, the cause may be passing. */
export const IMAP_COMMAND_FAILED = 'ImapCommandFailed';
/** The request itself is wrong (bad folder pattern, conflicting rules). */
export const IMAP_REQUEST_INVALID = 'ImapRequestInvalid';

/** Who and where, for every message: no secret ever lives here. */
export interface FailureContext {
  side: ImapSide;
  mailbox: string;
  user: string;
  /** Removes the resolved secret from any text (a server could echo what it was sent). */
  redact: (text: string) => string;
}

/** The fields of imapflow's errors we read; all optional. */
interface ImapflowErrorLike {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseStatus?: string;
  responseText?: string;
  response?: unknown;
  /** ETHROTTLE: the server's suggested back-off, and how much of it imapflow already waited (ms). */
  throttleReset?: number;
  throttleWaited?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'StateLogout',
]);

const TLS_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function who(ctx: FailureContext): string {
  return `${ctx.side} mailbox ${ctx.mailbox} (login ${ctx.user})`;
}

/**
 * The response code of a refusal ([LIMIT], [OVERQUOTA]...). imapflow sets serverResponseCode
 * for some commands only (LOGIN, APPEND...); a FETCH refusal keeps only the parsed answer.
 */
function responseCodeOf(e: ImapflowErrorLike): string | undefined {
  if (e.serverResponseCode) return e.serverResponseCode;
  const parsed = e.response as { attributes?: { section?: { value?: unknown }[] }[] } | undefined;
  const value = parsed && typeof parsed === 'object' ? parsed.attributes?.[0]?.section?.[0]?.value : undefined;
  return typeof value === 'string' ? value.toUpperCase() : undefined;
}

/** The server's words (or the error code), redacted and kept short. */
export function serverText(err: unknown, ctx: FailureContext): string {
  const e = (err ?? {}) as ImapflowErrorLike;
  const parts: string[] = [];
  const code = responseCodeOf(e);
  if (code) parts.push(`[${code}]`);
  if (e.responseText) parts.push(e.responseText);
  else if (typeof e.response === 'string') parts.push(e.response);
  else if (e.code) parts.push(e.code);
  else if (e.message) parts.push(e.message);
  return ctx.redact(parts.join(' ')).slice(0, 300);
}

export function isQuotaError(err: unknown): boolean {
  const e = (err ?? {}) as ImapflowErrorLike;
  return /^OVERQUOTA$/i.test(e.serverResponseCode ?? '') || /OVERQUOTA|quota exceeded|over quota|mailbox is full/i.test(`${e.responseText ?? ''}`);
}

// ---- throttled ------------------------------------------------------------------------

/** The least wait after any throttle: a shorter one is not worth a workflow timer. */
export const THROTTLE_MIN_WAIT_MS = 60_000;
/** Too many connections: another session of the user (a mail client, our other folder) may end soon. */
export const THROTTLE_CONNECTIONS_WAIT_MS = 5 * 60_000;
/** Bandwidth, daily and other limits with no time given: Gmail's limits reset within hours; retry hourly. */
export const THROTTLE_LIMIT_WAIT_MS = 60 * 60_000;
/**
 * [UNAVAILABLE] with no time given (RFC 5530: "a subsystem is down", e.g. the auth backend or
 * the storage of a mailbox being moved): an outage is minutes, not seconds, so the activity's
 * quick retries would all land inside it; five minutes, the mailbox's other work goes on.
 */
export const THROTTLE_UNAVAILABLE_WAIT_MS = 5 * 60_000;

/**
 * Microsoft 365 (Exchange Online): `BAD Request is throttled. Suggested Backoff Time: N
 * milliseconds` (imapflow gives it code ETHROTTLE with throttleReset = N when N is there);
 * any other answer saying throttled too.
 */
const THROTTLED_TEXT = /\bthrottl/i;
/**
 * Response codes: [LIMIT] (RFC 5530: a limit was hit, e.g. Dovecot's connection limit),
 * [THROTTLED] (used by Yahoo and AOL for rate limits, among others).
 */
const THROTTLE_CODES = /^(LIMIT|THROTTLED)$/i;
/**
 * [LIMIT] is also an implementation limit that waiting does not lift (Dovecot: `Mail size is
 * larger than the maximum size allowed by server configuration`, `Mailbox name too long`,
 * `Mailbox too deep in hierarchy`, too many keywords or mailboxes): not throttled.
 */
const FIXED_LIMIT_TEXT = /size|too large|too big|too long|too deep|hierarchy|keywords|flags|too many (mailboxes|folders|messages)/i;
/** Gmail: `NO [ALERT] Account exceeded command or bandwidth limits. (Failure)` (any status). */
const LIMITS_TEXT = /exceeded command or bandwidth limits|bandwidth limit|download limit|daily limit/i;
/**
 * Too many sessions: Gmail `NO [ALERT] Too many simultaneous connections. (Failure)`;
 * Dovecot 2.3 (mail_max_userip_connections) `NO [LIMIT] Maximum number of connections
 * from user+IP exceeded (mail_max_userip_connections=N)`.
 */
const CONNECTIONS_TEXT = /too many simultaneous connections|maximum number of connections|too many connections/i;
/** A wait in the server's words: `Suggested Backoff Time: 92415 milliseconds`, `try again in 10 minutes`, `retry after 30 seconds`. */
const WAIT_TEXT = /(backoff time|try again in|retry after|retry in|wait)[:=\s]+(\d+)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)?\b/i;

/** The wait a server's text names, in ms, if any (a bare number after "Backoff Time" is ms, else seconds). */
function waitInText(text: string): number | undefined {
  const m = WAIT_TEXT.exec(text);
  if (!m) return undefined;
  const n = Number(m[2]);
  const unit = (m[3] ?? (/backoff/i.test(m[1]) ? 'ms' : 's')).toLowerCase();
  if (unit.startsWith('ms') || unit.startsWith('milli')) return n;
  if (unit.startsWith('h')) return n * 3_600_000;
  if (unit.startsWith('m')) return n * 60_000;
  return n * 1000;
}

/**
 * How long to wait before trying again, if `err` is the server throttling us (never for a
 * full quota, which only an admin can fix).
 */
export function throttleWaitMs(err: unknown): number | undefined {
  const e = (err ?? {}) as ImapflowErrorLike;
  if (isQuotaError(err)) return undefined;
  const text = `${e.responseText ?? ''} ${typeof e.response === 'string' ? e.response : ''}`;
  const floor = (ms: number) => Math.max(THROTTLE_MIN_WAIT_MS, Math.ceil(ms));
  if (e.code === 'ETHROTTLE') {
    // imapflow waited part of the hint (throttleWaited) in the connection: the rest is left.
    return floor((e.throttleReset ?? 0) - (e.throttleWaited ?? 0));
  }
  const code = responseCodeOf(e) ?? '';
  const connections = CONNECTIONS_TEXT.test(text);
  const limited = LIMITS_TEXT.test(text) || (THROTTLE_CODES.test(code) && !FIXED_LIMIT_TEXT.test(text));
  const unavailable = /^UNAVAILABLE$/i.test(code);
  if (!(limited || connections || unavailable || THROTTLED_TEXT.test(text))) return undefined;
  const named = waitInText(text);
  if (named !== undefined) return floor(named);
  if (connections) return THROTTLE_CONNECTIONS_WAIT_MS;
  if (unavailable) return THROTTLE_UNAVAILABLE_WAIT_MS;
  if (limited) return THROTTLE_LIMIT_WAIT_MS;
  return THROTTLE_MIN_WAIT_MS; // "throttled" with no time and no limit named
}

export function isThrottled(err: unknown): boolean {
  return throttleWaitMs(err) !== undefined;
}

/** The ImapThrottled failure for `err` (`what` says when: `login refused`, `reading ... refused`). */
function throttleFailure(err: unknown, ctx: FailureContext, what: string, retryAfterMs: number): ApplicationFailure {
  const reason = serverText(err, ctx);
  return ApplicationFailure.create({
    message: `${who(ctx)}: ${what}: the server is throttling, try again in ${Math.ceil(retryAfterMs / 1000)} s: ${reason}`,
    type: IMAP_THROTTLED,
    nonRetryable: true,
    details: [{ side: ctx.side, mailbox: ctx.mailbox, retryAfterMs, reason }],
  });
}

function isNetworkError(e: ImapflowErrorLike): boolean {
  return !!e.code && NETWORK_CODES.has(e.code);
}

function isTlsError(e: ImapflowErrorLike): boolean {
  return !!e.tlsFailed || (!!e.code && TLS_CODES.test(e.code));
}

/** Failure of connect + login. */
export function loginFailure(err: unknown, ctx: FailureContext): TemporalFailure {
  // Ours already (or Temporal's own, like a cancellation): pass through unchanged.
  if (err instanceof TemporalFailure) return err;
  const e = (err ?? {}) as ImapflowErrorLike;
  const details = { side: ctx.side, mailbox: ctx.mailbox };
  // Before "login failed": Dovecot refuses a login over its connection limit with NO [LIMIT],
  // and a login while its auth backend is down with NO [UNAVAILABLE].
  const wait = throttleWaitMs(err);
  if (wait !== undefined) return throttleFailure(err, ctx, 'login refused', wait);
  if (isTlsError(e)) {
    return ApplicationFailure.nonRetryable(`${who(ctx)}: TLS failed: ${serverText(err, ctx)}`, IMAP_TLS_FAILED, details);
  }
  if (isNetworkError(e)) {
    return ApplicationFailure.retryable(`${who(ctx)}: cannot reach the server: ${serverText(err, ctx)}`, IMAP_CONNECTION_FAILED, details);
  }
  if (e.authenticationFailed || e.responseStatus === 'NO') {
    return ApplicationFailure.nonRetryable(
      `${who(ctx)}: login failed (wrong credential, unknown mailbox, or admin login not allowed): ${serverText(err, ctx)}`,
      IMAP_LOGIN_FAILED,
      details,
    );
  }
  return ApplicationFailure.retryable(`${who(ctx)}: cannot log in: ${serverText(err, ctx)}`, IMAP_CONNECTION_FAILED, details);
}

/** Failure of a command once logged in (`doing` says what: `copying to folder "Sent"`). */
export function commandFailure(err: unknown, ctx: FailureContext, doing: string): TemporalFailure {
  if (err instanceof TemporalFailure) return err;
  const e = (err ?? {}) as ImapflowErrorLike;
  const details = { side: ctx.side, mailbox: ctx.mailbox };
  const wait = throttleWaitMs(err);
  if (wait !== undefined) return throttleFailure(err, ctx, `${doing} refused`, wait);
  if (isNetworkError(e)) {
    return ApplicationFailure.retryable(`${who(ctx)}: connection lost while ${doing}: ${serverText(err, ctx)}`, IMAP_CONNECTION_FAILED, details);
  }
  return ApplicationFailure.retryable(`${who(ctx)}: ${doing} failed: ${serverText(err, ctx)}`, IMAP_COMMAND_FAILED, details);
}

/**
 * The wait before the next attempt after a retryable failure of attempt `attempt`: 30 s,
 * then twice as long each time (30 s, 1 min, 2 min, 4 min). The retry policy's own
 * interval (workflows/mailbox-round.ts) is a few seconds: it is the wait after a heartbeat
 * timeout, before another worker takes over a dead one's copy. A server that refused or
 * went away keeps the time to come back that it always had.
 */
export const FAILURE_RETRY_FIRST_MS = 30_000;

export function failureRetryDelayMs(attempt: number): number {
  return FAILURE_RETRY_FIRST_MS * 2 ** (Math.max(1, attempt) - 1);
}

/**
 * A retryable ApplicationFailure of attempt `attempt` with its wait (failureRetryDelayMs)
 * set; anything else unchanged (not retried, a wait already set, a cancellation, or not
 * ours: a plain error keeps the policy's interval).
 */
export function withRetryDelay(err: unknown, attempt: number): unknown {
  if (!(err instanceof ApplicationFailure) || err.nonRetryable || err.nextRetryDelay != null) return err;
  const paced = ApplicationFailure.create({
    message: err.message,
    type: err.type ?? undefined,
    details: err.details ?? undefined,
    cause: err.cause,
    category: err.category ?? undefined,
    nextRetryDelay: failureRetryDelayMs(attempt),
  });
  paced.stack = err.stack;
  return paced;
}

export function invalidRequest(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, IMAP_REQUEST_INVALID);
}

/** Human sizes for error messages: 1536 → "1.5 KiB". */
export { formatBytes } from '../../workflows/bytes';
