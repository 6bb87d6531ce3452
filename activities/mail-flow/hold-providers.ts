// The mail hold on host1's MTA when the operator provides it (spec mailFlow.hold, providers
// `command` and `http`): mailshift says what to do, the operator's program or endpoint does
// it on whatever MTA host1 has. Each request must be idempotent: a retried activity asks
// again.
//  - command: `<path> hold|release-host1|release-host2|queue <address>...`, run without a
//    shell (activities/run-program.ts); exit 0 = done. queue prints {"held":n,"pending":n}
//    as the last line of stdout; hold and release may print {"changed":bool,"released":n}.
//  - http: POST {"action":"hold"|"queue"|"release","addresses":[...],"to":"host1"|"host2"}
//    with an optional bearer token by reference (activities/post-json.ts); a 2xx answer is
//    done, its body JSON as the program's stdout.
// Failures name the program or endpoint and its answer, never the token. The phase rule
// (no release into host2 before the wave's mailboxes are verified) is the workflow's, and
// holds for every provider (workflows/mail-hold.ts).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { resolveSecret } from '../credentials';
import { postJson } from '../post-json';
import { runProgram } from '../run-program';
import type { MailHoldConfig, MailHoldReport, QueuedFor } from './hold-schema';

export type ProvidedHold = Extract<MailHoldConfig, { provider: 'command' | 'http' }>;
export type HoldAction = 'hold' | 'queue' | 'release-host1' | 'release-host2';

const signal = () => {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (tests)
  }
};

/** The answer (program's stdout, endpoint's body), with the token hidden; and who gave it, for messages. */
async function ask(hold: ProvidedHold, action: HoldAction, addresses: string[]): Promise<{ answer: string; who: string }> {
  const count = `${addresses.length} address(es)`;
  if (hold.provider === 'command') {
    const what = `mail-hold command ${hold.path} ${action} (${count})`;
    const stdout = await runProgram({
      path: hold.path,
      args: [action, ...addresses],
      env: { MAILSHIFT_ACTION: action },
      timeoutSeconds: hold.timeoutSeconds,
      signal: signal(),
      what,
      failurePrefix: 'MailHoldCommand',
    });
    return { answer: stdout.trim().split('\n').pop()?.trim() ?? '', who: what };
  }
  const token = hold.token ? await resolveSecret(hold.token) : undefined;
  const [verb, to] = action.split('-');
  const what = `${verb}${to ? ` to ${to}` : ''} (${count})`;
  const body = await postJson({
    url: hold.url,
    body: { action: verb, addresses, ...(to && { to }) },
    token,
    timeoutSeconds: hold.timeoutSeconds,
    signal: signal(),
    label: 'mail-hold endpoint',
    what,
    failurePrefix: 'MailHoldHttp',
  });
  const answer = token ? body.split(token).join('[redacted]') : body;
  return { answer: answer.trim(), who: `mail-hold endpoint ${new URL(hold.url).origin} for ${what}` };
}

const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function json(answer: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(answer);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Holds, or releases to host1/host2: done on exit 0 or a 2xx answer; its JSON, when given, says what changed. */
export async function changeProvidedHold(hold: ProvidedHold, action: Exclude<HoldAction, 'queue'>, addresses: string[]): Promise<MailHoldReport> {
  if (!addresses.length) return { changed: false, released: 0 };
  const { answer } = await ask(hold, action, addresses);
  const said = json(answer);
  return {
    changed: typeof said?.changed === 'boolean' ? said.changed : true,
    released: count(said?.released) ? (said!.released as number) : 0,
  };
}

/** What host1's MTA has for the addresses, as the program or endpoint counts it. */
export async function queueOfProvidedHold(hold: ProvidedHold, addresses: string[]): Promise<QueuedFor> {
  if (!addresses.length) return { held: 0, pending: 0 };
  const { answer, who } = await ask(hold, 'queue', addresses);
  const said = json(answer);
  if (!said || !count(said.held) || !count(said.pending)) {
    // The same program answers the same way on a retry: the operator must look.
    throw ApplicationFailure.nonRetryable(`${who} answered ${JSON.stringify(answer.slice(0, 300))}, not {"held":n,"pending":n}`, 'MailHoldAnswerInvalid');
  }
  return { held: said.held as number, pending: said.pending as number };
}
