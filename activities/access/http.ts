// The `http` method: POST {"action","user","phase"} (JSON) to the operator's endpoint,
// one request per user, with `Authorization: Bearer <token>` when a token reference is
// given, and `Idempotency-Key: <phase>/<action>/<user>` since a retried activity posts
// again. A 2xx answer succeeds; a JSON answer `{"outcome":"already-cut"}` (or cut,
// restored, already-open) is reported as such, otherwise `cut`/`restored` is assumed.
import { ApplicationFailure } from '@temporalio/activity';
import { resolveSecret } from '../credentials';
import { OUTCOMES, type AccessAction, type AccessMethodConfig, type AccessOutcome } from './schema';

type HttpConfig = Extract<AccessMethodConfig, { method: 'http' }>;

export async function postAccessChange(
  cfg: HttpConfig,
  action: AccessAction,
  user: string,
  phase: string,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<AccessOutcome> {
  // Only the origin is shown in errors: paths and queries sometimes hold keys.
  const where = `access endpoint ${new URL(cfg.url).origin}`;
  const hide = (s: string) => (token ? s.split(token).join('[redacted]') : s);
  const timeout = AbortSignal.timeout(cfg.timeoutSeconds * 1000);
  let res: Response;
  try {
    res = await fetch(cfg.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': `${phase}/${action}/${user}`,
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ action, user, phase }),
      redirect: 'error',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = timeout.aborted ? `no answer within ${cfg.timeoutSeconds} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw ApplicationFailure.retryable(hide(`${where} unreachable for ${action} ${user}: ${why}`), 'AccessHttpUnavailable');
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) {
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw ApplicationFailure.create({
      type: permanent ? 'AccessHttpRejected' : 'AccessHttpUnavailable',
      nonRetryable: permanent,
      message: hide(`${where} answered HTTP ${res.status} to ${action} ${user}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`),
    });
  }
  let outcome: unknown;
  try {
    outcome = (JSON.parse(body) as { outcome?: unknown }).outcome;
  } catch {
    outcome = undefined;
  }
  const allowed = OUTCOMES[action] as readonly unknown[];
  return (allowed.includes(outcome) ? outcome : allowed[0]) as AccessOutcome;
}

export async function resolveToken(cfg: HttpConfig): Promise<string | undefined> {
  return cfg.token ? resolveSecret(cfg.token) : undefined;
}
