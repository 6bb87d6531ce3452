// Posting JSON to an operator's endpoint, as the access and mail-hold `http` providers do:
// `Authorization: Bearer <token>` when a token (resolved from its reference) is given,
// never in a failure message (redacted), only the URL's origin shown (paths and queries
// sometimes hold keys), no redirects, a timeout. A 4xx answer (but 408 and 429) is
// permanent; anything else that is not 2xx, or no answer, is worth a retry.
import { ApplicationFailure } from '@temporalio/activity';

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
  const hide = (s: string) => (token ? s.split(token).join('[redacted]') : s);
  const timeout = AbortSignal.timeout(post.timeoutSeconds * 1000);
  let res: Response;
  try {
    res = await fetch(post.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(post.idempotencyKey && { 'idempotency-key': post.idempotencyKey }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(post.body),
      redirect: 'error',
      signal: post.signal ? AbortSignal.any([post.signal, timeout]) : timeout,
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = timeout.aborted ? `no answer within ${post.timeoutSeconds} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw ApplicationFailure.retryable(hide(`${where} unreachable for ${what}: ${why}`), `${failurePrefix}Unavailable`);
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) {
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw ApplicationFailure.create({
      type: permanent ? `${failurePrefix}Rejected` : `${failurePrefix}Unavailable`,
      nonRetryable: permanent,
      message: hide(`${where} answered HTTP ${res.status} to ${what}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`),
    });
  }
  return body;
}
