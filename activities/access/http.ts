// The `http` method: POST {"action","user","phase"} (JSON) to the operator's endpoint,
// one request per user, with `Authorization: Bearer <token>` when a token reference is
// given, and `Idempotency-Key: <phase>/<action>/<user>` since a retried activity posts
// again. A 2xx answer succeeds; a JSON answer `{"outcome":"already-cut"}` (or cut,
// restored, already-open) is reported as such, otherwise `cut`/`restored` is assumed.
import { resolveSecret } from '../credentials';
import { postJson } from '../post-json';
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
  const body = await postJson({
    url: cfg.url,
    body: { action, user, phase },
    token,
    idempotencyKey: `${phase}/${action}/${user}`,
    timeoutSeconds: cfg.timeoutSeconds,
    signal,
    label: 'access endpoint',
    what: `${action} ${user}`,
    failurePrefix: 'AccessHttp',
  });
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
