// Approvers' webhooks against a real local HTTP server: mailshift's JSON payload, the
// Slack-compatible `{ text }`, a secret URL and a bearer token by reference, and errors
// that never show either.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { sendNotice } from '../../activities/notify/send-notice';
import { noticeMessageId } from '../../activities/notify/idempotency';
import { noticeFixtures } from './fixtures';

interface Hit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}
let server: Server;
let base: string;
const hits: Hit[] = [];
const SECRET_PATH = '/services/T0001/B0002/s3cr3tW3bh00kP4th';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(body) });
      if (req.url === '/forbidden') res.writeHead(403).end(`no such hook: ${req.url}`);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.MAILSHIFT_TEST_WEBHOOK_URL = `${base}${SECRET_PATH}`;
  process.env.MAILSHIFT_TEST_WEBHOOK_TOKEN = 'tok-9f8e7d6c5b4a';
});
afterAll(async () => {
  delete process.env.MAILSHIFT_TEST_WEBHOOK_URL;
  delete process.env.MAILSHIFT_TEST_WEBHOOK_TOKEN;
  await new Promise((r) => server?.close(r));
});

const gateNotice = { notice: 'approver-gate-waiting' as const, data: noticeFixtures['approver-gate-waiting'], from: 'mailshift@example.org' };

it('posts mailshift JSON with the idempotency key, and the bearer token by reference', async () => {
  const before = hits.length;
  const result = await sendNotice({
    ...gateNotice,
    idempotencyKey: 'wf-1/gate/cutover',
    webhook: { url: `${base}/approvals`, token: 'env:MAILSHIFT_TEST_WEBHOOK_TOKEN' },
  });
  expect(result).toMatchObject({ webhook: 'sent', email: 'not-requested' });
  expect(hits).toHaveLength(before + 1);
  const hit = hits[before];
  expect(hit).toMatchObject({ method: 'POST', url: '/approvals' });
  expect(hit.headers['content-type']).toBe('application/json');
  expect(hit.headers['idempotency-key']).toBe('wf-1/gate/cutover');
  expect(hit.headers.authorization).toBe('Bearer tok-9f8e7d6c5b4a');
  expect(hit.body).toMatchObject({
    notice: 'approver-gate-waiting',
    subject: '[mailshift] acme-2026: the "cutover" gate of wave friendly-users is waiting for your approval',
    messageId: noticeMessageId('wf-1/gate/cutover'),
    idempotencyKey: 'wf-1/gate/cutover',
    data: { gate: 'cutover', workflowId: 'migration-acme-2026' },
  });
  expect((hit.body as { text: string }).text).toContain('--name approve');
});

it('posts exactly { text } to a Slack-compatible hook whose URL is a secret reference', async () => {
  const before = hits.length;
  await sendNotice({ ...gateNotice, idempotencyKey: 'wf-1/gate/cutover/slack', webhook: { url: 'env:MAILSHIFT_TEST_WEBHOOK_URL', slack: true } });
  const hit = hits[before];
  expect(hit.url).toBe(SECRET_PATH);
  expect(Object.keys(hit.body as object)).toEqual(['text']);
  expect((hit.body as { text: string }).text).toMatch(
    /^\[mailshift\] acme-2026: the "cutover" gate of wave friendly-users is waiting for your approval\n\nThe migration acme-2026/,
  );
  expect(hit.headers.authorization).toBeUndefined();
});

it('a refusal (4xx) fails for good and names the reference, never the secret URL', async () => {
  process.env.MAILSHIFT_TEST_WEBHOOK_URL_403 = `${base}/forbidden`;
  try {
    const err = await sendNotice({
      ...gateNotice,
      idempotencyKey: 'k-403',
      webhook: { url: 'env:MAILSHIFT_TEST_WEBHOOK_URL_403', token: 'env:MAILSHIFT_TEST_WEBHOOK_TOKEN' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'WebhookRejected', nonRetryable: true });
    expect((err as Error).message).toMatch(/webhook \(URL from env:MAILSHIFT_TEST_WEBHOOK_URL_403\) answered HTTP 403/);
    expect((err as Error).message).toContain('no such hook: [redacted]');
    expect((err as Error).message).not.toContain('/forbidden');
    expect((err as Error).message).not.toContain('tok-9f8e7d6c5b4a');
  } finally {
    delete process.env.MAILSHIFT_TEST_WEBHOOK_URL_403;
  }
});

it('an unreachable hook is a retryable failure', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const err = await sendNotice({ ...gateNotice, idempotencyKey: 'k-down', webhook: { url: `http://127.0.0.1:${port}/x` } }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'WebhookUnavailable', nonRetryable: false });
  expect((err as Error).message).toMatch(/unreachable: ECONNREFUSED/);
});

it('a plain secret pasted where the URL or token belongs is refused by the input schema', async () => {
  await expect(sendNotice({ ...gateNotice, idempotencyKey: 'k-bad', webhook: { url: `${base}/x`, token: 'tok-9f8e7d6c5b4a' } })).rejects.toMatchObject({
    type: 'InvalidNotice',
    message: expect.stringMatching(/webhook\.token: must be a secret reference/),
  });
  await expect(sendNotice({ ...gateNotice, idempotencyKey: 'k-bad', webhook: { url: `${base}/x`, token: 'tok-9f8e7d6c5b4a' } })).rejects.not.toMatchObject({
    message: expect.stringContaining('tok-9f8e7d6c5b4a'),
  });
});
