// The `http` method: POST {"action":"create","user","mailbox"} (JSON) to the operator's
// endpoint, one request per user, with `Authorization: Bearer <token>` when a token
// reference is given and `Idempotency-Key: create/<user>`. 2xx = done (a JSON answer
// `{"outcome":"already-there"}` says it existed), 409 = already there; other 4xx (except
// 408/429) fail for good, 5xx and timeouts are retried.
import { ApplicationFailure } from '@temporalio/activity';
import { resolveSecret } from '../credentials';
import { jsonOutcome, permanentHttpStatus, redact, sendJson } from '../post-json';
import { PROVISION_OUTCOMES, type ProvisionedUser, type ProvisioningMethodConfig, type ProvisionOutcome } from './schema';

type HttpConfig = Extract<ProvisioningMethodConfig, { method: 'http' }>;

export async function postProvisioning(
  cfg: HttpConfig,
  { user, mailbox }: ProvisionedUser,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<ProvisionOutcome> {
  // Only the origin is shown in errors: paths and queries sometimes hold keys.
  const where = `provisioning endpoint ${new URL(cfg.url).origin}`;
  const res = await sendJson(
    cfg.url,
    { action: 'create', user, mailbox },
    { token, idempotencyKey: `create/${user}`, timeoutSeconds: cfg.timeoutSeconds, signal },
  );
  if (!res.reached) throw ApplicationFailure.retryable(redact(token, `${where} unreachable for create ${user}: ${res.why}`), 'ProvisionHttpUnavailable');
  if (res.status === 409) return 'already-there';
  if (!res.ok) {
    const permanent = permanentHttpStatus(res.status);
    const said = res.body.trim() ? `: ${res.body.trim().slice(0, 300)}` : '';
    throw ApplicationFailure.create({
      type: permanent ? 'ProvisionHttpRejected' : 'ProvisionHttpUnavailable',
      nonRetryable: permanent,
      message: redact(token, `${where} answered HTTP ${res.status} to create ${user}${said}`),
    });
  }
  const outcome = jsonOutcome(res.body);
  return (PROVISION_OUTCOMES as readonly unknown[]).includes(outcome) ? (outcome as ProvisionOutcome) : 'created';
}

export async function provisioningToken(cfg: HttpConfig): Promise<string | undefined> {
  return cfg.token ? resolveSecret(cfg.token) : undefined;
}
