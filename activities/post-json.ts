// POSTing JSON to an operator's endpoint, with `Authorization: Bearer <token>` when a token
// is given and an `Idempotency-Key` (a retried activity posts again). Redirects are
// refused; the token never appears in what is returned (redact). Not an activity itself
// (activities/index.ts does not export it).

export type JsonPostResult = { reached: false; why: string } | { reached: true; status: number; ok: boolean; body: string };

export async function postJson(
  url: string,
  body: unknown,
  o: { token?: string; idempotencyKey: string; timeoutSeconds: number; signal?: AbortSignal },
): Promise<JsonPostResult> {
  const timeout = AbortSignal.timeout(o.timeoutSeconds * 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': o.idempotencyKey,
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
