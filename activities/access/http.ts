// The `http` method: POST {"action","user","phase"} (JSON) to the operator's endpoint,
// one request per user, with `Authorization: Bearer <token>` when a token reference is
// given, and `Idempotency-Key: <phase>/<action>/<user>` since a retried activity posts
// again. A 2xx answer succeeds; a JSON answer `{"outcome":"already-cut"}` (or cut,
// restored, already-open) is reported as such, otherwise `cut`/`restored` is assumed.
import { ApplicationFailure } from '@temporalio/activity';
import { resolveSecret } from '../credentials';
import { jsonOutcome, permanentHttpStatus, postJson, redact } from '../post-json';
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
  const hide = (s: string) => redact(token, s);
  const res = await postJson(
    cfg.url,
    { action, user, phase },
    { token, idempotencyKey: `${phase}/${action}/${user}`, timeoutSeconds: cfg.timeoutSeconds, signal },
  );
  if (!res.reached) throw ApplicationFailure.retryable(hide(`${where} unreachable for ${action} ${user}: ${res.why}`), 'AccessHttpUnavailable');
  const { body } = res;
  if (!res.ok) {
    const permanent = permanentHttpStatus(res.status);
    throw ApplicationFailure.create({
      type: permanent ? 'AccessHttpRejected' : 'AccessHttpUnavailable',
      nonRetryable: permanent,
      message: hide(`${where} answered HTTP ${res.status} to ${action} ${user}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`),
    });
  }
  const outcome = jsonOutcome(body);
  const allowed = OUTCOMES[action] as readonly unknown[];
  return (allowed.includes(outcome) ? outcome : allowed[0]) as AccessOutcome;
}

export async function resolveToken(cfg: HttpConfig): Promise<string | undefined> {
  return cfg.token ? resolveSecret(cfg.token) : undefined;
}
