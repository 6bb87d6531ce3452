// The lucky scenario on the time-skipping server, activities faked: syncs by address,
// the IMAP host name parked at cut-over and moved to host2 at the end.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { luckyMigration } from '../../workflows/lucky-migration';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker } from './harness';
import type { SyncRequest } from '../../activities/imap/types';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const imapA = { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it('parks the IMAP name at cut-over, syncs by address, moves the name last and restores TTLs', async () => {
  const world = fakeWorld([mx, imapA]);
  const worker = await startWorker(env, world);
  try {
    const spec = demoSpec('lucky', new Date((await env.currentTimeMs()) + 3 * DAY));
    spec.host1 = { ...spec.host1, syncAddress: '192.0.2.11' };
    spec.host2 = { ...spec.host2, syncAddress: '192.0.2.22' };
    spec.access = { method: 'dns' };
    spec.dns.imapHost = { name: 'imap.example.test.', host2Addresses: ['127.0.0.2'], parkedAddresses: ['127.0.0.99'] };
    const handle = await env.client.workflow.start(luckyMigration, { taskQueue: worker.taskQueue, workflowId: `lucky-${randomUUID()}`, args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    await approveWhenOpen(env, handle, 'switch-mx');
    await approveWhenOpen(env, handle, 'shutdown-old');
    const report = await handle.result();

    expect(report.outcome).toBe('completed');
    const syncs = world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);
    expect(new Set(syncs.map((s) => `${s.source.endpoint.host}>${s.destination.endpoint.host}`))).toEqual(new Set(['192.0.2.11>192.0.2.22']));
    // Access is cut by DNS here: no cutAccess call, the name is parked first.
    expect(world.calls.some((c) => c.name === 'cutAccess')).toBe(false);
    const dnsSteps = report.audit.filter((e) => e.kind === 'dns').map((e) => e.step);
    expect(dnsSteps).toEqual([
      'lower TTL',
      'lower TTL',
      'park the IMAP host name',
      'switch MX',
      'move the IMAP host name to host2',
      'restore TTL',
      'restore TTL',
    ]);
    expect(world.records.get('imap.example.test./A')).toEqual({ ...imapA, values: ['127.0.0.2'] });
    expect(world.records.get('example.test./MX')).toEqual({ ...mx, values: ['10 mail2.example.test.'] });
    const notices = world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input.notice);
    expect(notices).toContain('users-advance-lucky');
    expect(notices).toContain('users-mail-app-redownload'); // clients re-download: say it is normal
    expect(notices).not.toContain('users-new-credentials');
  } finally {
    await worker.stop();
  }
});
