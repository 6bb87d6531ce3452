// The `command` and `http` access methods: an operator's program run without a shell
// with the documented arguments and environment, and an HTTP endpoint receiving
// {action,user,phase}; both idempotent through what they answer. Plus notify-only and
// the DNS method, which belongs to the DNS activities.
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { cutAccess, restoreAccess } from '../../activities/access/change-access';
import { KEEPALIVE_MS } from '../../activities/keepalive';
import { startJsonEndpoint, type Posted } from '../harness/json-endpoint';
import { writeTestProgram } from '../harness/test-program';

let dir: string;
let script: string;

// The operator's program: records its arguments and environment, keeps a state file per
// user, and prints its outcome. Fails on demand for user "broken", hangs for "slow".
const SCRIPT = `#!/bin/sh
here=$(dirname "$0")
printf '%s|%s|%s|%s|%s|%s|%s\\n' "$#" "$1" "$2" "$MAILSHIFT_ACTION" "$MAILSHIFT_USER" "$MAILSHIFT_PHASE" "\${MAILSHIFT_TEST_SECRET:-unset}" >> "$here/calls.log"
case "$2" in
  broken) echo "ldap: modify failed: Insufficient access" >&2; exit 3 ;;
  slow) sleep 30 ;;
esac
state="$here/state/$(printf '%s' "$2" | od -An -tx1 | tr -d ' \\n')"
mkdir -p "$here/state"
if [ "$1" = cut ]; then
  if [ -e "$state" ]; then echo already-cut; else touch "$state"; echo "closing host1 for $2"; echo cut; fi
else
  if [ -e "$state" ]; then rm "$state"; echo restored; else echo already-open; fi
fi
`;

let program: ReturnType<typeof writeTestProgram>;
beforeAll(() => {
  program = writeTestProgram('host1-access', SCRIPT);
  ({ dir, path: script } = program);
});
afterAll(() => {
  delete process.env.MAILSHIFT_TEST_SECRET;
  program.remove();
});

const calls = () => program.lines('calls.log');
const command = (extra: object = {}) => ({ method: 'command' as const, path: script, ...extra });

describe('command method', () => {
  it('runs `<path> cut|restore <user>` with MAILSHIFT_* in its environment, one argument per user name', async () => {
    const before = calls().length;
    const report = await cutAccess({ method: command(), users: ['alice', "o'brien & co $(id)"], phase: 'cutover' });
    expect(report).toEqual({
      method: 'command',
      action: 'cut',
      phase: 'cutover',
      users: [
        { user: 'alice', outcome: 'cut' },
        { user: "o'brien & co $(id)", outcome: 'cut' },
      ],
    });
    expect(calls().slice(before)).toEqual(['2|cut|alice|cut|alice|cutover|unset', "2|cut|o'brien & co $(id)|cut|o'brien & co $(id)|cutover|unset"]);
  });

  it('is idempotent through the program: a repeat reports already-cut, restore then already-open', async () => {
    expect((await cutAccess({ method: command(), users: ['alice'], phase: 'cutover' })).users).toEqual([{ user: 'alice', outcome: 'already-cut' }]);
    expect((await restoreAccess({ method: command(), users: ['alice', 'bob'], phase: 'rollback' })).users).toEqual([
      { user: 'alice', outcome: 'restored' },
      { user: 'bob', outcome: 'already-open' },
    ]);
    expect(calls().at(-1)).toBe('2|restore|bob|restore|bob|rollback|unset');
  });

  it('passes only the worker variables named in passEnv', async () => {
    process.env.MAILSHIFT_TEST_SECRET = 'ldap-bind-pw';
    await cutAccess({ method: command(), users: ['carol'], phase: 'cutover' });
    expect(calls().at(-1)).toBe('2|cut|carol|cut|carol|cutover|unset');
    await restoreAccess({ method: command({ passEnv: ['MAILSHIFT_TEST_SECRET'] }), users: ['carol'], phase: 'rollback' });
    expect(calls().at(-1)).toBe('2|restore|carol|restore|carol|rollback|ldap-bind-pw');
  });

  it('a non-zero exit fails with the exit code and the end of stderr', async () => {
    const err = await cutAccess({ method: command(), users: ['broken'], phase: 'cutover' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'AccessCommandFailed', nonRetryable: false });
    expect((err as Error).message).toBe(
      `access command ${script} cut broken failed with exit code 3; stderr ends with: ldap: modify failed: Insufficient access`,
    );
  });

  it('a program that hangs is stopped at its timeout', async () => {
    const started = Date.now();
    const err = await cutAccess({ method: command({ timeoutSeconds: 1 }), users: ['slow'], phase: 'cutover' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'AccessCommandTimeout' });
    expect((err as Error).message).toMatch(/did not finish within 1 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a cancelled activity stops the program at once', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const started = Date.now();
    const running = env.run(cutAccess, { method: command({ timeoutSeconds: 60 }), users: ['slow'], phase: 'cutover' });
    setTimeout(() => env.cancel(), 500);
    await expect(running).rejects.toMatchObject({ type: 'AccessCommandCancelled' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('heartbeats every few seconds while one program runs longer than that', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    const err = await env.run(cutAccess, { method: command({ timeoutSeconds: 7 }), users: ['slow'], phase: 'cutover' }).catch((e: unknown) => e);
    const ended = Date.now();
    expect(err).toMatchObject({ type: 'AccessCommandTimeout' });
    expect(ended - started).toBeGreaterThan(3 * KEEPALIVE_MS);
    // Without the timer, nothing between the start and the timeout (the only user never finishes).
    const times = [started, ...beats, ended];
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.max(...gaps)).toBeLessThan(2 * KEEPALIVE_MS + 1000);
  });

  it('a missing program fails for good; a relative path is refused by the schema', async () => {
    await expect(cutAccess({ method: command({ path: path.join(dir, 'nope') }), users: ['a'], phase: 'cutover' })).rejects.toMatchObject({
      type: 'AccessCommandMissing',
      nonRetryable: true,
      message: expect.stringMatching(/could not start: ENOENT/),
    });
    await expect(cutAccess({ method: command({ path: 'host1-access' }), users: ['a'], phase: 'cutover' })).rejects.toMatchObject({
      type: 'InvalidAccessRequest',
      message: expect.stringMatching(/method\.path: must be an absolute path/),
    });
  });
});

describe('http method', () => {
  type Body = { action: string; user: string; phase: string };
  let endpoint: Awaited<ReturnType<typeof startJsonEndpoint<Body>>>;
  let url: string;
  let received: Posted<Body>[];
  const closed = new Set<string>();

  beforeAll(async () => {
    process.env.MAILSHIFT_TEST_ACCESS_TOKEN = 'acc-tok-123456';
    endpoint = await startJsonEndpoint<Body>('/mail/access', (body, headers) => {
      if (headers.authorization !== 'Bearer acc-tok-123456') return [401, `invalid credentials: ${headers.authorization}`];
      if (body.user === 'flaky') return [503, 'maintenance'];
      if (body.user === 'quiet') return [204];
      let outcome: string;
      if (body.action === 'cut') outcome = closed.has(body.user) ? 'already-cut' : (closed.add(body.user), 'cut');
      else outcome = closed.delete(body.user) ? 'restored' : 'already-open';
      return [200, { outcome }];
    });
    ({ url, received } = endpoint);
  });
  afterAll(async () => {
    delete process.env.MAILSHIFT_TEST_ACCESS_TOKEN;
    await endpoint?.close();
  });
  const http = () => ({ method: 'http' as const, url, token: 'env:MAILSHIFT_TEST_ACCESS_TOKEN' });

  it('POSTs {action,user,phase} with the bearer token and reports what the endpoint did', async () => {
    const report = await cutAccess({ method: http(), users: ['alice', 'bob'], phase: 'cutover' });
    expect(report.users).toEqual([
      { user: 'alice', outcome: 'cut' },
      { user: 'bob', outcome: 'cut' },
    ]);
    expect(received.slice(-2).map((r) => r.body)).toEqual([
      { action: 'cut', user: 'alice', phase: 'cutover' },
      { action: 'cut', user: 'bob', phase: 'cutover' },
    ]);
    expect(received.at(-1)!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer acc-tok-123456',
      'idempotency-key': 'cutover/cut/bob',
    });
    expect((await cutAccess({ method: http(), users: ['alice'], phase: 'cutover' })).users).toEqual([{ user: 'alice', outcome: 'already-cut' }]);
    expect((await restoreAccess({ method: http(), users: ['alice', 'zed'], phase: 'rollback' })).users).toEqual([
      { user: 'alice', outcome: 'restored' },
      { user: 'zed', outcome: 'already-open' },
    ]);
    // An answer without an outcome means "done".
    expect((await cutAccess({ method: http(), users: ['quiet'], phase: 'cutover' })).users).toEqual([{ user: 'quiet', outcome: 'cut' }]);
  });

  it('a 401 fails for good without showing the token; a 503 is retryable', async () => {
    process.env.MAILSHIFT_TEST_ACCESS_TOKEN = 'wrong-token-987';
    try {
      const err = await cutAccess({ method: http(), users: ['alice'], phase: 'cutover' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ type: 'AccessHttpRejected', nonRetryable: true });
      expect((err as Error).message).toMatch(/answered HTTP 401 to cut alice/);
      expect((err as Error).message).toMatch(/invalid credentials: Bearer \[redacted\]/);
      expect((err as Error).message).not.toMatch(/wrong-token-987/);
    } finally {
      process.env.MAILSHIFT_TEST_ACCESS_TOKEN = 'acc-tok-123456';
    }
    await expect(cutAccess({ method: http(), users: ['flaky'], phase: 'cutover' })).rejects.toMatchObject({
      type: 'AccessHttpUnavailable',
      nonRetryable: false,
      message: expect.stringMatching(/HTTP 503 to cut flaky: maintenance/),
    });
  });
});

describe('methods that change nothing here', () => {
  it('notify-only reports not-enforced for every user', async () => {
    const report = await cutAccess({ method: { method: 'notify-only' }, users: ['alice', 'bob'], phase: 'cutover' });
    expect(report.users).toEqual([
      { user: 'alice', outcome: 'not-enforced' },
      { user: 'bob', outcome: 'not-enforced' },
    ]);
  });

  it('dns is refused: the DNS activities park the IMAP host name', async () => {
    await expect(cutAccess({ method: { method: 'dns' }, users: ['alice'], phase: 'cutover' })).rejects.toMatchObject({
      type: 'AccessHandledByDns',
      nonRetryable: true,
    });
  });
});
