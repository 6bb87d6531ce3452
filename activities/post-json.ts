// Posting JSON to an operator's endpoint, as the access, mail-hold and provisioning `http`
// methods and the approvers' webhook do: `Authorization: Bearer <token>` when a token
// (resolved from its reference) is given, never in what is returned or thrown (redacted),
// only the URL's origin shown (paths and queries sometimes hold keys), no redirects, a
// timeout. A 4xx answer (but 408 and 429) is permanent; anything else that is not 2xx, or
// no answer, is worth a retry. Not an activity itself (activities/index.ts does not export it).
import { ApplicationFailure } from '@temporalio/activity';

export type JsonPostResult = { reached: false; why: string } | { reached: true; status: number; ok: boolean; body: string };

/** Posts it and says what came back, whatever the status: callers that read statuses (409: already there) judge it themselves. */
export async function sendJson(
  url: string,
  body: unknown,
  o: { token?: string; idempotencyKey?: string; timeoutSeconds: number; signal?: AbortSignal },
): Promise<JsonPostResult> {
  const timeout = AbortSignal.timeout(o.timeoutSeconds * 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(o.idempotencyKey && { 'idempotency-key': o.idempotencyKey }),
        ...(o.token && { authorization: `Bearer ${o.token}` }),
      },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { reached: false, why: timeout.aborted ? `no answer within ${o.timeoutSeconds} s` : (e.cause?.code ?? e.cause?.message ?? e.message) };
  }
  return { reached: true, status: res.status, ok: res.ok, body: await res.text().catch(() => '') };
}

/** `text` with every occurrence of the token replaced. */
export const redact = (token: string | undefined, text: string): string => (token ? text.split(token).join('[redacted]') : text);

/** A 4xx other than 408 (timeout) and 429 (too many requests): asking again will not help. */
export const permanentHttpStatus = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

/** The `outcome` field of a JSON answer, if any. */
export function jsonOutcome(body: string): unknown {
  try {
    return (JSON.parse(body) as { outcome?: unknown }).outcome;
  } catch {
    return undefined;
  }
}

export interface JsonPost {
  url: string;
  body: unknown;
  token?: string;
  idempotencyKey?: string;
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** Who answers, in failures, before the origin: `access endpoint`. */
  label: string;
  /** What was asked, in failures: `cut alice`. */
  what: string;
  /** Failure types are `<prefix>Unavailable` and `<prefix>Rejected`. */
  failurePrefix: string;
}

/** The answer's body (text) on a 2xx answer; else an ApplicationFailure without the token. */
export async function postJson(post: JsonPost): Promise<string> {
  const { token, what, failurePrefix } = post;
  const where = `${post.label} ${new URL(post.url).origin}`;
  const res = await sendJson(post.url, post.body, post);
  if (!res.reached) throw ApplicationFailure.retryable(redact(token, `${where} unreachable for ${what}: ${res.why}`), `${failurePrefix}Unavailable`);
  if (!res.ok) {
    const permanent = permanentHttpStatus(res.status);
    throw ApplicationFailure.create({
      type: permanent ? `${failurePrefix}Rejected` : `${failurePrefix}Unavailable`,
      nonRetryable: permanent,
      message: redact(token, `${where} answered HTTP ${res.status} to ${what}${res.body.trim() ? `: ${res.body.trim().slice(0, 300)}` : ''}`),
    });
  }
  return res.body;
}
