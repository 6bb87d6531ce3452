// Turns what imapflow throws into Temporal failures a workflow (and a mail admin) can act
// on: the type says whether retrying can help, the message names the mailbox and the side.
// Only our own words and the server's response text (redacted) go into a failure: never
// the original error object, whose fields may hold the command that was sent.
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { ImapSide } from './types';

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
  'ETHROTTLE',
  'StateLogout',
]);

const TLS_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function who(ctx: FailureContext): string {
  return `${ctx.side} mailbox ${ctx.mailbox} (login ${ctx.user})`;
}

/** The server's words (or the error code), redacted and kept short. */
export function serverText(err: unknown, ctx: FailureContext): string {
  const e = (err ?? {}) as ImapflowErrorLike;
  const parts: string[] = [];
  if (e.serverResponseCode) parts.push(`[${e.serverResponseCode}]`);
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
  if (isTlsError(e)) {
    return ApplicationFailure.nonRetryable(`${who(ctx)}: TLS failed: ${serverText(err, ctx)}`, IMAP_TLS_FAILED, details);
  }
  if (isNetworkError(e)) {
    return ApplicationFailure.retryable(`${who(ctx)}: cannot reach the server: ${serverText(err, ctx)}`, IMAP_CONNECTION_FAILED, details);
  }
  // [UNAVAILABLE] is a temporary refusal (auth backend down): worth another attempt.
  if (/^UNAVAILABLE$/i.test(e.serverResponseCode ?? '')) {
    return ApplicationFailure.retryable(`${who(ctx)}: login temporarily refused: ${serverText(err, ctx)}`, IMAP_CONNECTION_FAILED, details);
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
