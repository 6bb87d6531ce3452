// The mail hold's `command` and `http` providers: the operator's program (a shell script
// written here, keeping the held addresses in a file) and endpoint (an HTTP server in this
// process) hold, count and release a wave's mail; asking twice leaves the same state, and
// failures say what the program or endpoint answered, never the bearer token.
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { holdMail, mailQueue, releaseMail } from '../../activities/mail-flow';
import { freePort } from '../../scripts/servers/process';
import { startJsonEndpoint, type Answer } from '../harness/json-endpoint';
import { writeTestProgram } from '../harness/test-program';

let dir: string;
let script: string;
let program: ReturnType<typeof writeTestProgram>;

// host1's MTA as the operator's program sees it: one held address a line in "held", each
// release appended to "released". Fails for broken@..., answers nonsense to a queue for odd@...
const SCRIPT = `#!/bin/sh
here=$(dirname "$0")
held="$here/held"
touch "$held"
printf '%s\\n' "$*" >> "$here/calls.log"
action=$1
shift
for a in "$@"; do
  case "$a" in broken@*) echo "postsuper: fatal: queue file is locked for $a" >&2; exit 3 ;; esac
done
case "$action" in
  hold)
    for a in "$@"; do grep -qxF "$a" "$held" || printf '%s\\n' "$a" >> "$held"; done ;;
  release-host1|release-host2)
    n=0
    for a in "$@"; do
      if grep -qxF "$a" "$held"; then
        n=$((n + 1)); grep -vxF "$a" "$held" > "$held.new" || true; mv "$held.new" "$held"
        printf '%s %s\\n' "$a" "\${action#release-}" >> "$here/released"
      fi
    done
    printf '{"changed":%s,"released":%d}\\n' "$([ $n -gt 0 ] && echo true || echo false)" "$n" ;;
  queue)
    case "$1" in odd@*) echo "3 held"; exit 0 ;; esac
    n=0
    for a in "$@"; do grep -qxF "$a" "$held" && n=$((n + 1)); done
    echo "counting $# address(es)"
    printf '{"held":%d,"pending":%d}\\n' "$n" 0 ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
`;

const TOKEN = 'hold-endpoint-token-9f2c';
type HoldRequest = { action: string; addresses: string[]; to?: string };
let endpoint: Awaited<ReturnType<typeof startJsonEndpoint<HoldRequest>>>;
let url: string;
const httpHeld = new Set<string>();
const httpReleased: string[] = [];

/** host1's MTA behind an HTTP endpoint, keeping the held addresses in memory. */
function mtaEndpoint(body: HoldRequest, headers: IncomingHttpHeaders): Answer {
  if (headers.authorization !== `Bearer ${TOKEN}`) return [403, { error: `unknown token ${headers.authorization}` }];
  // An endpoint that repeats what it got in its error: the failure must not show the token.
  if (body.addresses.some((a) => a.startsWith('broken@'))) return [500, `mta busy (request had ${headers.authorization})`];
  if (body.action === 'hold') {
    for (const a of body.addresses) httpHeld.add(a);
    return [200, {}];
  }
  if (body.action === 'queue') return [200, { held: body.addresses.filter((a) => httpHeld.has(a)).length, pending: 0 }];
  if (body.action === 'release' && (body.to === 'host1' || body.to === 'host2')) {
    const released = body.addresses.filter((a) => httpHeld.delete(a));
    httpReleased.push(...released.map((a) => `${a} ${body.to}`));
    return [200, { changed: released.length > 0, released: released.length }];
  }
  return [400, { error: `unknown action ${body.action}` }];
}

beforeAll(async () => {
  program = writeTestProgram('mta-hold', SCRIPT);
  ({ dir, path: script } = program);
  process.env.MAILSHIFT_TEST_HOLD_TOKEN = TOKEN;
  endpoint = await startJsonEndpoint('/mta/hold?key=abc', mtaEndpoint);
  url = endpoint.url;
});
afterAll(async () => {
  delete process.env.MAILSHIFT_TEST_HOLD_TOKEN;
  await endpoint.close();
  program.remove();
});

const lines = (file: string) => program.lines(file);

describe('command provider', () => {
  const hold = () => ({ provider: 'command' as const, path: script });

  it('holds, counts and releases through `<path> hold|queue|release-host2 <address>...`; twice leaves the same state', async () => {
    const addresses = ['Alice@example.test', 'bob@example.test'];
    await holdMail({ hold: hold(), addresses });
    await holdMail({ hold: hold(), addresses }); // a retry
    expect(lines('held')).toEqual(['alice@example.test', 'bob@example.test']);
    expect(await mailQueue({ hold: hold(), addresses })).toEqual({ held: 2, pending: 0 });

    expect(await releaseMail({ hold: hold(), addresses: ['alice@example.test'], to: 'host2' })).toEqual({ changed: true, released: 1 });
    expect(await releaseMail({ hold: hold(), addresses: ['alice@example.test'], to: 'host2' })).toEqual({ changed: false, released: 0 }); // a retry
    expect(await releaseMail({ hold: hold(), addresses: ['bob@example.test'], to: 'host1' })).toEqual({ changed: true, released: 1 });
    expect(lines('held')).toEqual([]);
    expect(lines('released')).toEqual(['alice@example.test host2', 'bob@example.test host1']);
    expect(await mailQueue({ hold: hold(), addresses })).toEqual({ held: 0, pending: 0 });
    expect(lines('calls.log').slice(0, 3)).toEqual([
      'hold alice@example.test bob@example.test',
      'hold alice@example.test bob@example.test',
      'queue alice@example.test bob@example.test',
    ]);
    expect(lines('calls.log')).toContain('release-host1 bob@example.test');
  });

  it('a failing program fails the activity (retryable) with the end of its stderr', async () => {
    const err = await holdMail({ hold: hold(), addresses: ['broken@example.test'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'MailHoldCommandFailed', nonRetryable: false });
    expect((err as Error).message).toMatch(/mail-hold command .*mta-hold hold \(1 address\(es\)\) failed with exit code 3.*queue file is locked/);
  });

  it('a queue answer that is not {"held":n,"pending":n} is refused, quoting it', async () => {
    const err = await mailQueue({ hold: hold(), addresses: ['odd@example.test'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'MailHoldAnswerInvalid', nonRetryable: true });
    expect((err as Error).message).toContain('answered "3 held"');
  });

  it('a program that is not there cannot start', async () => {
    await expect(holdMail({ hold: { provider: 'command', path: path.join(dir, 'missing') }, addresses: ['a@example.test'] })).rejects.toMatchObject({
      type: 'MailHoldCommandMissing',
      nonRetryable: true,
    });
  });

  it('option-like addresses never reach the program', async () => {
    await expect(holdMail({ hold: hold(), addresses: ['-rf@example.test'] })).rejects.toMatchObject({ type: 'InvalidMailHoldRequest' });
  });
});

describe('http provider', () => {
  const hold = (token = 'env:MAILSHIFT_TEST_HOLD_TOKEN') => ({ provider: 'http' as const, url, token });

  it('posts {action, addresses, to} with the bearer token; hold, queue and release, twice = same state', async () => {
    const addresses = ['carol@example.test', 'Dave@example.test'];
    await holdMail({ hold: hold(), addresses });
    await holdMail({ hold: hold(), addresses }); // a retry
    expect([...httpHeld]).toEqual(['carol@example.test', 'dave@example.test']);
    expect(await mailQueue({ hold: hold(), addresses })).toEqual({ held: 2, pending: 0 });
    expect(await releaseMail({ hold: hold(), addresses, to: 'host2' })).toEqual({ changed: true, released: 2 });
    expect(await releaseMail({ hold: hold(), addresses, to: 'host2' })).toEqual({ changed: false, released: 0 }); // a retry
    expect(httpHeld.size).toBe(0);
    expect(httpReleased).toEqual(['carol@example.test host2', 'dave@example.test host2']);
    expect(await mailQueue({ hold: hold(), addresses })).toEqual({ held: 0, pending: 0 });
    expect(endpoint.received.map((r) => r.body)).toEqual([
      { action: 'hold', addresses: ['carol@example.test', 'dave@example.test'] },
      { action: 'hold', addresses: ['carol@example.test', 'dave@example.test'] },
      { action: 'queue', addresses: ['carol@example.test', 'dave@example.test'] },
      { action: 'release', addresses: ['carol@example.test', 'dave@example.test'], to: 'host2' },
      { action: 'release', addresses: ['carol@example.test', 'dave@example.test'], to: 'host2' },
      { action: 'queue', addresses: ['carol@example.test', 'dave@example.test'] },
    ]);
    expect(endpoint.received.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("an error answer is named with the endpoint's words, and never with the token", async () => {
    const err = await releaseMail({ hold: hold(), addresses: ['broken@example.test'], to: 'host1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'MailHoldHttpUnavailable', nonRetryable: false });
    const message = (err as Error).message;
    expect(message).toContain(`mail-hold endpoint ${new URL(url).origin} answered HTTP 500 to release to host1 (1 address(es)): mta busy`);
    expect(message).toContain('[redacted]');
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain('key=abc');
  });

  it('a refused token is permanent', async () => {
    process.env.MAILSHIFT_TEST_WRONG_TOKEN = 'not-the-token';
    try {
      await expect(holdMail({ hold: hold('env:MAILSHIFT_TEST_WRONG_TOKEN'), addresses: ['erin@example.test'] })).rejects.toMatchObject({
        type: 'MailHoldHttpRejected',
        nonRetryable: true,
      });
    } finally {
      delete process.env.MAILSHIFT_TEST_WRONG_TOKEN;
    }
  });

  it('an endpoint that cannot be reached is worth a retry', async () => {
    const port = await freePort();
    await expect(mailQueue({ hold: { provider: 'http', url: `http://127.0.0.1:${port}/` }, addresses: ['a@example.test'] })).rejects.toMatchObject({
      type: 'MailHoldHttpUnavailable',
      nonRetryable: false,
    });
  });
});
