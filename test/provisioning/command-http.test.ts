// Creating the mailboxes on host2 with the `command` and `http` methods: an operator's
// program run without a shell as `<path> create <user>`, and an HTTP endpoint receiving
// {action:"create", user, mailbox}. Both idempotent: a second run reports already-there.
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { provisionMailboxes } from '../../activities/provisioning/provision';
import type { ProvisionReport } from '../../activities/provisioning/schema';
import { startJsonEndpoint, type Posted } from '../harness/json-endpoint';
import { writeTestProgram } from '../harness/test-program';

let dir: string;
let script: string;

// The operator's program: records its arguments and environment, keeps a directory per
// created user, prints its outcome. Fails on demand for user "broken".
const SCRIPT = `#!/bin/sh
here=$(dirname "$0")
printf '%s|%s|%s|%s|%s|%s|%s\\n' "$#" "$1" "$2" "$MAILSHIFT_ACTION" "$MAILSHIFT_USER" "$MAILSHIFT_MAILBOX" "\${MAILSHIFT_TEST_SECRET:-unset}" >> "$here/calls.log"
case "$2" in
  broken) echo "panel: quota plan 'gold' does not exist" >&2; exit 4 ;;
esac
box="$here/boxes/$(printf '%s' "$2" | od -An -tx1 | tr -d ' \\n')"
mkdir -p "$here/boxes"
if [ -d "$box" ]; then echo already-there; else mkdir "$box"; echo "creating $2"; echo created; fi
`;

let program: ReturnType<typeof writeTestProgram>;
beforeAll(() => {
  program = writeTestProgram('host2-create', SCRIPT);
  ({ dir, path: script } = program);
});
afterAll(() => {
  delete process.env.MAILSHIFT_TEST_SECRET;
  program.remove();
});

const calls = () => program.lines('calls.log');
const command = (extra: object = {}) => ({ method: 'command' as const, path: script, ...extra });
const u = (user: string, mailbox = user) => ({ user, mailbox });

describe('command method', () => {
  it('runs `<path> create <user>` with MAILSHIFT_* in its environment; a second run reports already-there', async () => {
    process.env.MAILSHIFT_TEST_SECRET = 'panel-api-key';
    const report = await provisionMailboxes({ method: command(), users: [u('alice@new.test', 'alice'), u("o'brien & co $(id)")] });
    expect(report).toEqual({
      method: 'command',
      users: [
        { user: 'alice@new.test', outcome: 'created' },
        { user: "o'brien & co $(id)", outcome: 'created' },
      ],
    });
    expect(calls()).toEqual([
      '2|create|alice@new.test|create|alice@new.test|alice|unset',
      "2|create|o'brien & co $(id)|create|o'brien & co $(id)|o'brien & co $(id)|unset",
    ]);

    const again = await provisionMailboxes({ method: command({ passEnv: ['MAILSHIFT_TEST_SECRET'] }), users: [u('alice@new.test', 'alice'), u('bob')] });
    expect(again.users).toEqual([
      { user: 'alice@new.test', outcome: 'already-there' },
      { user: 'bob', outcome: 'created' },
    ]);
    expect(calls().at(-1)).toBe('2|create|bob|create|bob|bob|panel-api-key');
  });

  it('a non-zero exit fails naming the user, the exit code and the end of stderr', async () => {
    const err = await provisionMailboxes({ method: command(), users: [u('carol'), u('broken')] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'ProvisionCommandFailed', nonRetryable: false });
    expect((err as Error).message).toBe(
      `provisioning command ${script} create broken failed with exit code 4; stderr ends with: panel: quota plan 'gold' does not exist`,
    );
  });

  it('a missing program fails for good; a relative path is refused', async () => {
    await expect(provisionMailboxes({ method: command({ path: path.join(dir, 'nope') }), users: [u('a')] })).rejects.toMatchObject({
      type: 'ProvisionCommandMissing',
      nonRetryable: true,
    });
    await expect(provisionMailboxes({ method: command({ path: 'host2-create' }), users: [u('a')] })).rejects.toMatchObject({
      type: 'InvalidProvisioningRequest',
      message: expect.stringMatching(/method\.path: must be an absolute path/),
    });
  });

  it('heartbeats as it goes through the users', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const report = (await env.run(provisionMailboxes, { method: command(), users: [u('dan'), u('erin'), u('dan')] })) as ProvisionReport;
    expect(report.users.map((r) => r.user)).toEqual(['dan', 'erin']);
    expect(beats.at(-1)).toEqual({ action: 'provision', done: 2, of: 2 });
  });
});

describe('http method', () => {
  let endpoint: Awaited<ReturnType<typeof startJsonEndpoint<{ action: string; user: string; mailbox: string }>>>;
  let url: string;
  let received: Posted<{ action: string; user: string; mailbox: string }>[];
  const existing = new Set<string>();

  beforeAll(async () => {
    process.env.MAILSHIFT_TEST_PROVISION_TOKEN = 'prov-tok-123456';
    endpoint = await startJsonEndpoint<{ action: string; user: string; mailbox: string }>('/panel/mailboxes', (body, headers) => {
      if (headers.authorization !== 'Bearer prov-tok-123456') return [401, `invalid credentials: ${headers.authorization}`];
      if (body.user === 'flaky') return [503, 'maintenance'];
      if (body.user === 'bad name') return [422, 'user names may not contain spaces'];
      if (existing.has(body.user)) return [409, 'exists'];
      existing.add(body.user);
      return [201];
    });
    ({ url, received } = endpoint);
  });
  afterAll(async () => {
    delete process.env.MAILSHIFT_TEST_PROVISION_TOKEN;
    await endpoint?.close();
  });
  const http = () => ({ method: 'http' as const, url, token: 'env:MAILSHIFT_TEST_PROVISION_TOKEN' });

  it('POSTs {action:"create",user,mailbox} with the bearer token; 409 on the second run is already-there', async () => {
    const report = await provisionMailboxes({ method: http(), users: [u('alice@new.test', 'alice'), u('bob')] });
    expect(report).toEqual({
      method: 'http',
      users: [
        { user: 'alice@new.test', outcome: 'created' },
        { user: 'bob', outcome: 'created' },
      ],
    });
    expect(received.map((r) => r.body)).toEqual([
      { action: 'create', user: 'alice@new.test', mailbox: 'alice' },
      { action: 'create', user: 'bob', mailbox: 'bob' },
    ]);
    expect(received.at(-1)!.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer prov-tok-123456',
      'idempotency-key': 'create/bob',
    });
    expect((await provisionMailboxes({ method: http(), users: [u('alice@new.test', 'alice')] })).users).toEqual([
      { user: 'alice@new.test', outcome: 'already-there' },
    ]);
  });

  it('a 4xx fails for good naming the user and the answer, never the token; a 503 is retryable', async () => {
    process.env.MAILSHIFT_TEST_PROVISION_TOKEN = 'wrong-token-987';
    try {
      const err = await provisionMailboxes({ method: http(), users: [u('carol')] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ type: 'ProvisionHttpRejected', nonRetryable: true });
      expect((err as Error).message).toMatch(/answered HTTP 401 to create carol: invalid credentials: Bearer \[redacted\]/);
      expect((err as Error).message).not.toMatch(/wrong-token-987/);
    } finally {
      process.env.MAILSHIFT_TEST_PROVISION_TOKEN = 'prov-tok-123456';
    }
    await expect(provisionMailboxes({ method: http(), users: [u('bad name')] })).rejects.toMatchObject({
      type: 'ProvisionHttpRejected',
      message: expect.stringMatching(/HTTP 422 to create bad name: user names may not contain spaces/),
    });
    await expect(provisionMailboxes({ method: http(), users: [u('flaky')] })).rejects.toMatchObject({
      type: 'ProvisionHttpUnavailable',
      nonRetryable: false,
      message: expect.stringMatching(/HTTP 503 to create flaky: maintenance/),
    });
  });
});
