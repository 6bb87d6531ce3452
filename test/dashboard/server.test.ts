// The dashboard's server against a real Temporal dev server (its workflow list is what
// finds the migrations; the time-skipping server has none) with a fake-activity worker:
// read-only, token rules, and everything from the status shown as text, never as markup.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createLocalEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { connect, type Temporal } from '../../scripts/cli/temporal';
import { startDashboard, type Dashboard } from '../../scripts/dashboard/server';
import { approveSignal, approveUpdate } from '../../workflows/gates';
import { fakeWorld } from '../workflows/fakes';
import { startWorker } from '../workflows/harness';
import { cli } from '../cli/capture';
import { http, waitForStatus } from './http';

jest.setTimeout(120_000);
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const TOKEN = 'a-test-token-of-enough-length';
const uiLink = (id: string) => `http://ui.test/workflows/${encodeURIComponent(id)}`;

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let temporal: Temporal;
let dashboard: Dashboard;
const workflowId = `dashboard-${randomUUID()}`;
const hostile = { script: '<script>window.__ran = 1</script>', img: '<img src=x onerror="window.__ran = 2">' };

beforeAll(async () => {
  env = await createLocalEnv();
  worker = await startWorker(env, fakeWorld([mx]));
  temporal = await connect({ out: () => undefined, err: () => undefined, client: env.client });
  const handle = await env.client.workflow.start('classicalMigration', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [demoSpec('classical', new Date(Date.now() + 3 * 86_400_000))],
  });
  await waitForStatus(env.client, workflowId, (s) => s.openGate === 'start');
  // An approver's comment and a refused sender's name go into the audit log as typed.
  await handle.signal(approveSignal, { gate: 'start', by: hostile.img, comment: 'not an approver' });
  await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: hostile.script }] });
  await waitForStatus(env.client, workflowId, (s) => s.phase === 'waiting out the old TTL' && s.audit.some((e) => e.kind === 'refused'));
  dashboard = await startDashboard({ temporal, port: 0, uiLink });
});
afterAll(async () => {
  await dashboard?.close();
  await env?.client.workflow
    .getHandle(workflowId)
    .terminate('test done')
    .catch(() => undefined);
  await worker?.stop();
  await env?.teardown();
});

it('shows the running migration from its status query', async () => {
  const page = await http(dashboard.url);
  expect(page.status).toBe(200);
  expect(page.headers['content-security-policy']).toMatch(/script-src 'nonce-/);
  expect(page.body).toContain(`data-workflow-id="${workflowId}"`);
  expect(page.body).toMatch(/<li class="current" aria-current="step">lower the TTLs, wait the old TTL/);
  expect(page.body).toContain('example.test. MX</td><td>TTL 86400: 10 mail1.example.test.</td><td>TTL 300: 10 mail1.example.test.');
  const content = await http(`${dashboard.url}content`);
  expect(content.status).toBe(200);
  expect(content.body).toContain(`href="http://ui.test/workflows/${workflowId}"`);
});

it('shows what the status holds as text: an audit comment or a name with markup runs nothing', async () => {
  const { body } = await http(dashboard.url);
  expect(body).toContain('&lt;script&gt;window.__ran = 1&lt;/script&gt;');
  expect(body).toContain('&lt;img src=x onerror=&quot;window.__ran = 2&quot;&gt;');
  expect(body).not.toContain(hostile.script);
  expect(body).not.toContain('<img');
});

it('is read-only: any method but GET gets 405', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const answer = await http(`${dashboard.url}content`, { method });
    expect([method, answer.status, answer.headers.allow]).toEqual([method, 405, 'GET']);
  }
});

it('on loopback needs no login, but refuses a Host that is not loopback (DNS rebinding)', async () => {
  expect((await http(dashboard.url, { headers: { host: `localhost:${dashboard.port}` } })).status).toBe(200);
  expect((await http(dashboard.url, { headers: { host: `attacker.example:${dashboard.port}` } })).status).toBe(403);
});

describe('on a non-loopback address', () => {
  it('refuses to start without a token, and never takes one from the command line', async () => {
    await expect(startDashboard({ temporal, host: '0.0.0.0', port: 0, uiLink })).rejects.toThrow(
      /refusing .* on 0\.0\.0\.0 without a token.*MAILSHIFT_DASHBOARD_TOKEN/,
    );
    const run = cli({ env: {} });
    const refused = await run('dashboard', '--host', '0.0.0.0', '--port', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/MAILSHIFT_DASHBOARD_TOKEN/);
    expect((await run('dashboard', '--host', '0.0.0.0', '--token', TOKEN)).code).toBe(2);
    expect((await cli({ env: { MAILSHIFT_DASHBOARD_TOKEN: 'short' } })('dashboard')).stderr).toMatch(/at least 16 characters/);
  });

  it('checks the token on every request', async () => {
    const open = await startDashboard({ temporal, host: '0.0.0.0', port: 0, token: TOKEN, uiLink });
    try {
      const url = `http://127.0.0.1:${open.port}/`;
      expect((await http(url)).status).toBe(401);
      expect((await http(`${url}content`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
      expect((await http(`${url}content`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      // Opened once with ?token=: a cookie, and the token out of the address bar.
      const first = await http(`${url}?token=${TOKEN}`);
      expect([first.status, first.headers.location]).toEqual([303, '/']);
      const cookie = String(first.headers['set-cookie']).split(';')[0];
      expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
      const page = await http(url, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.body).toContain(`data-workflow-id="${workflowId}"`);
      expect((await http(`${url}content`, { headers: { cookie: 'mailshift_dashboard=wrong-token-of-enough-length' } })).status).toBe(401);
      expect((await http(url, { method: 'POST', headers: { cookie } })).status).toBe(405);
    } finally {
      await open.close();
    }
  });
});
