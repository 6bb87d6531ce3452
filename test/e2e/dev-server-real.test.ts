// A whole classical migration on the real dev server, where time is not skipped: real
// activities against real Dovecot, Knot and SMTP, approvals sent as an approver would,
// every wait really waited. The spec stays inside the product's limits but is brisk:
// a 40 s zone TTL lowered to 30 s (the least the spec takes), the migration hour 50 s
// ahead (a pre-sync runs after the old TTL has run out, then the runbook waits for the
// hour), and gate `done` approved as soon as the post-syncs begin.
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import * as activities from '../../activities';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import type { GateName } from '../../workflows/spec';
import { dig } from '../dns/dig';
import { workflowBundle } from '../workflows/harness';
import { canLogIn, isCanary, messages, startRealWorld, type RealWorld } from './real-world';

jest.setTimeout(420_000);
let w: RealWorld;
beforeAll(async () => {
  w = await startRealWorld({
    temporal: 'dev-server',
    zoneRecords: '@ 40 IN MX 10 mail1.example.test.\nmail1 40 IN A 127.0.0.1\nmail2 40 IN A 127.0.0.2\nimap 40 IN A 127.0.0.1\n',
  });
});
afterAll(() => w?.stop());

/** Waits in real time until the gate opens (in the wave's phase), then approves it with the Update. */
async function approveWhenOpen(handle: WorkflowHandle, gate: GateName, wave?: string): Promise<MigrationStatus> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const s = await handle.query(statusQuery);
    if (s.openGate === gate && (!wave || s.phase.includes(`(${wave})`))) {
      await handle.executeUpdate(approveUpdate, { args: [{ gate, by: 'operator', comment: 'e2e on the dev server' }] });
      return s;
    }
    if (Date.now() > deadline) throw new Error(`gate ${gate} never opened; phase ${s.phase}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function until(handle: WorkflowHandle, ready: (s: MigrationStatus) => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!ready(await handle.query(statusQuery))) {
    if (Date.now() > deadline) throw new Error('condition not reached in 2 minutes');
    await new Promise((r) => setTimeout(r, 300));
  }
}

it('migrates for real on the dev server: mail, DNS, lock-out, notices', async () => {
  const { host1, host2, knot, smtp, env, passwords, servers } = w;
  const before = Object.fromEntries(await Promise.all(demoUsers.map(async (u) => [u, await messages(host1, u, passwords[`host1-${u}`])] as const)));
  const taskQueue = 'e2e-dev-server';
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const spec = demoSpec('classical', new Date(Date.now() + 50_000), servers);
  spec.dns.lowTtl = 30;
  spec.dns.restoreTtl = 300;

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue, workflowId: `e2e-dev-${Date.now()}`, args: [spec] });
    await approveWhenOpen(handle, 'start');
    await approveWhenOpen(handle, 'cutover', 'friendly-users');
    await until(handle, (s) => s.audit.some((e) => e.kind === 'access' && e.users.includes('alice')));
    expect(await canLogIn(host1, 'alice', passwords['host1-alice'])).toBe(false);
    expect(await canLogIn(host1, 'bob', passwords['host1-bob'])).toBe(true);
    await approveWhenOpen(handle, 'cutover', 'everyone');
    await approveWhenOpen(handle, 'switch-mx');
    await approveWhenOpen(handle, 'done');
    const report = await handle.result();

    expect(report.outcome).toBe('completed');
    expect(report.rounds.filter((r) => r.kind === 'presync').length).toBeGreaterThanOrEqual(1);
    for (const u of demoUsers) {
      const onHost2 = await messages(host2, u, passwords[`host2-${u}`]);
      expect(onHost2.filter((m) => !isCanary(m))).toEqual(before[u]);
      // The runbook's canary reached the spec's canary mailbox on host2 (through mx2), once.
      expect(onHost2.filter(isCanary)).toHaveLength(u === 'alice' ? 1 : 0);
      expect(await canLogIn(host1, u, passwords[`host1-${u}`])).toBe(false);
    }
    expect(await dig(knot.port, 'example.test', 'MX')).toMatchObject({ ttl: 300, values: [expect.stringMatching(/^10 mail2\.example\.test\.?$/)] });
    expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
    const subjects = smtp.received.length;
    expect(subjects).toBeGreaterThanOrEqual(10);
    const history = JSON.stringify(await handle.fetchHistory());
    for (const secret of [...Object.values(passwords), knot.key.secret]) expect(history).not.toContain(secret);
  });
});
