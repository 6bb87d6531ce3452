// The MX switch of a whole classical migration (REAL activities, real Dovecot, Knot and
// SMTP, Temporal's time-skipping server) when the DNS server is down, and when someone
// else changed the MX after mailshift recorded it. While the test does not wait for the
// result, time runs at its real pace, so the activity's retries (10 s back-off) really
// wait for Knot to come back.
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as activities from '../../activities';
import { replaceRecords } from '../../activities/dns';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { demoZoneRecords } from '../../scripts/sandbox/layout';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { classicalMigration } from '../../workflows/classical-migration';
import { statusQuery } from '../../workflows/status';
import { dig } from '../dns/dig';
import { startRealWorld, type RealWorld } from '../e2e/real-world';
import { approveWhenOpen, workflowBundle } from '../workflows/harness';

jest.setTimeout(240_000);
let w: RealWorld;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'faults-dns-workflow';
const extraKnots: KnotServer[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  w = await startRealWorld();
  worker = await Worker.create({ connection: w.env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  for (const k of extraKnots) await k.stop();
  await w?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A Knot of our own (so it can be restarted in its directory), serving the demo zone. */
async function ownKnot(): Promise<{ knot: KnotServer; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-faults-knot-'));
  dirs.push(dir);
  const knot = await startKnot({ dir, zone: 'example.test', records: demoZoneRecords });
  extraKnots.push(knot);
  return { knot, dir };
}

async function startMigration(id: string, knot: KnotServer): Promise<WorkflowHandle<typeof classicalMigration>> {
  const spec = demoSpec('classical', new Date((await w.env.currentTimeMs()) + 2 * 86_400_000), { ...w.servers, dnsPort: knot.port, tsigKeyFile: knot.keyFile });
  const handle = await w.env.client.workflow.start(classicalMigration, { taskQueue, workflowId: id, args: [spec] });
  await approveWhenOpen(w.env, handle, 'start');
  await approveWhenOpen(w.env, handle, 'cutover', 'friendly-users');
  await approveWhenOpen(w.env, handle, 'cutover', 'everyone');
  // Up to the switch-mx gate (opened, not yet approved).
  for (let i = 0; (await handle.query(statusQuery)).openGate !== 'switch-mx'; i++) {
    if (i > 24 * 30) throw new Error('gate switch-mx never opened');
    await w.env.sleep('1 hour');
  }
  return handle;
}

const mx = async (knot: KnotServer) => (await dig(knot.port, 'example.test', 'MX')).values.join(',');
const approve = (handle: WorkflowHandle, gate: 'switch-mx') => handle.executeUpdate('approve', { args: [{ gate, by: 'operator', comment: 'fault test' }] });

it('Knot down when the MX must switch: the activity retries, the zone is unchanged meanwhile, the switch lands once Knot is back', async () => {
  const { knot, dir } = await ownKnot();
  const handle = await startMigration('faults-dns-down', knot);
  expect(await mx(knot)).toBe('10 mail1.example.test.');
  const port = knot.port;
  await knot.stop();
  await approve(handle, 'switch-mx');

  // Real time: the first attempts fail (DnsUnavailable) and are retried.
  let failure = '';
  for (let i = 0; i < 100 && !failure; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    failure = pending.map((p) => p.lastFailure?.message ?? '').find((m) => m) ?? '';
  }
  expect(failure).toMatch(/127\.0\.0\.1/);

  const back = await startKnot({ dir, zone: 'example.test', records: demoZoneRecords, port });
  extraKnots.push(back);
  expect(await mx(back)).toBe('10 mail1.example.test.'); // untouched while down

  const report = await handle.result();
  expect(report.outcome).toBe('completed');
  expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
  expect(await mx(back)).toBe('10 mail2.example.test.');
});

it('someone else changed the MX before the switch: nothing is overwritten, the conflict is explained and the migration waits for a person', async () => {
  const { knot } = await ownKnot();
  const handle = await startMigration('faults-dns-conflict', knot);
  const provider = { kind: 'rfc2136' as const, server: '127.0.0.1', port: knot.port, tsigKey: `file:${knot.keyFile}` };
  // Another admin moves the MX to a backup (the TTL mailshift lowered stays).
  const now = await dig(knot.port, 'example.test', 'MX');
  await replaceRecords({
    provider,
    zone: 'example.test',
    expected: { name: 'example.test.', type: 'MX', ttl: now.ttl!, values: now.values },
    next: { name: 'example.test.', type: 'MX', ttl: now.ttl!, values: ['20 backup.example.test.'] },
  });
  await approve(handle, 'switch-mx');

  // The conflict is not retryable: the runbook stops at gate dns-conflict at once.
  let status = await handle.query(statusQuery);
  for (let i = 0; i < 100 && status.openGate !== 'dns-conflict'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if ((await handle.describe()).status.name !== 'RUNNING') break;
    status = await handle.query(statusQuery);
  }
  // Still running, waiting for a person; nothing overwritten.
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect(status.openGate).toBe('dns-conflict');
  expect(await mx(knot)).toBe('20 backup.example.test.');
  // The conflict explained: which record, what mailshift expected, what it found.
  expect(status.conflict).toMatch(/example\.test\.? MX/);
  expect(status.conflict).toMatch(/someone else changed it/);
  expect(status.conflict).toContain('20 backup.example.test.');
  expect(status.conflict).toContain('10 mail1.example.test.');
  expect(status.audit.filter((e) => e.kind === 'dns-conflict')).toEqual([
    expect.objectContaining({ step: 'switch MX', found: expect.objectContaining({ values: ['20 backup.example.test.'] }) }),
  ]);
  // Approving switch-mx again, or by someone not allowed, is refused.
  await expect(approve(handle, 'switch-mx')).rejects.toMatchObject({ cause: { message: 'gate "switch-mx" is not open; the open gate is "dns-conflict"' } });
  await expect(handle.executeUpdate('approve', { args: [{ gate: 'dns-conflict', by: 'mallory' }] })).rejects.toMatchObject({
    cause: { message: '"mallory" is not an allowed approver of this migration' },
  });
  expect(await mx(knot)).toBe('20 backup.example.test.');

  // A person decides mailshift's change wins: it replaces the record as it is now.
  await handle.executeUpdate('approve', { args: [{ gate: 'dns-conflict', by: 'operator', comment: 'the backup MX was a mistake' }] });
  const report = await handle.result();
  expect(report.outcome).toBe('completed');
  expect(await mx(knot)).toBe('10 mail2.example.test.');
  const switched = report.audit.find((e) => e.kind === 'dns' && e.step === 'switch MX');
  expect(switched).toMatchObject({ before: [{ values: ['20 backup.example.test.'] }], after: [{ values: ['10 mail2.example.test.'] }] });
  expect(report.conflict).toBeUndefined();
});
