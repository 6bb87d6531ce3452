// The lucky scenario on the time-skipping server, activities faked: syncs by address,
// the IMAP host name parked at cut-over and moved to host2 at the end, its A and AAAA
// records each lowered, parked, moved, restored and rolled back by address family.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { luckyMigration } from '../../workflows/lucky-migration';
import { approveUpdate, rollbackUpdate } from '../../workflows/gates';
import type { DnsRecordSet } from '../../workflows/audit';
import type { MigrationSpecInput } from '../../workflows/spec';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';
import type { SyncRequest } from '../../activities/imap/types';

const DAY = 86_400_000;
const LOW_TTL = 300; // the spec's default dns.lowTtl
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const imapA = { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] };
// Another TTL than the A's: each record must get its own back.
const imapAAAA = { name: 'imap.example.test.', type: 'AAAA', ttl: 7200, values: ['2001:db8::1'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

type ImapHost = NonNullable<MigrationSpecInput['dns']['imapHost']>;

async function startLucky(world: FakeWorld, imapHost: ImapHost, access: MigrationSpecInput['access'] = { method: 'dns' }) {
  const worker = await startWorker(env, world);
  const spec = demoSpec('lucky', new Date((await env.currentTimeMs()) + 3 * DAY));
  spec.host1 = { ...spec.host1, syncAddress: '192.0.2.11' };
  spec.host2 = { ...spec.host2, syncAddress: '192.0.2.22' };
  spec.access = access;
  spec.dns.imapHost = imapHost;
  const handle = await env.client.workflow.start(luckyMigration, { taskQueue: worker.taskQueue, workflowId: `lucky-${randomUUID()}`, args: [spec] });
  // A migration left waiting (a failed test) would hold the shared server's skipped time.
  const stop = async () => {
    await handle.terminate().catch(() => undefined);
    await worker.stop();
  };
  return { handle, stop };
}

/** The IMAP host name's records as the runbook wrote them, in order: `A 1.2.3.4 ttl 300`, `AAAA deleted`. */
function imapWrites(world: FakeWorld): string[] {
  return world.calls
    .filter((c) => c.name === 'replaceRecords')
    .map((c) => c.input as { expected: DnsRecordSet | null; next: DnsRecordSet | null })
    .filter((i) => (i.next ?? i.expected)!.name === 'imap.example.test.')
    .map((i) => (i.next ? `${i.next.type} ${i.next.values.join(',')} ttl ${i.next.ttl}` : `${i.expected!.type} deleted`));
}

const dnsSteps = (audit: { kind: string }[]) => audit.filter((e): e is { kind: 'dns'; step: string } & typeof e => e.kind === 'dns').map((e) => e.step);

/** Approves the lucky runbook's gates in order as each opens; the migration's report. */
async function approveEveryGate(handle: Awaited<ReturnType<typeof startLucky>>['handle']) {
  for (const gate of ['start', 'cutover', 'switch-mx', 'shutdown-old'] as const) await approveWhenOpen(env, handle, gate);
  return handle.result();
}

it('parks the IMAP name at cut-over, syncs by address, moves the name last and restores TTLs', async () => {
  const world = fakeWorld([mx, imapA]);
  const { handle, stop } = await startLucky(world, { name: 'imap.example.test.', host2Addresses: ['127.0.0.2'], parkedAddresses: ['127.0.0.99'] });
  try {
    const report = await approveEveryGate(handle);

    expect(report.outcome).toBe('completed');
    const syncs = world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);
    expect(new Set(syncs.map((s) => `${s.source.endpoint.host}>${s.destination.endpoint.host}`))).toEqual(new Set(['192.0.2.11>192.0.2.22']));
    // Access is cut by DNS here: no cutAccess call, the name is parked first.
    expect(world.calls.some((c) => c.name === 'cutAccess')).toBe(false);
    expect(dnsSteps(report.audit)).toEqual([
      'lower TTL',
      'lower TTL',
      'park the IMAP host name',
      'switch MX',
      'move the IMAP host name to host2',
      'restore TTL',
      'restore TTL',
    ]);
    // Without an AAAA the name gets none: nothing is deleted or invented.
    expect(imapWrites(world)).not.toContainEqual(expect.stringMatching(/^AAAA/));
    expect(world.records.get('imap.example.test./A')).toEqual({ ...imapA, values: ['127.0.0.2'] });
    expect(world.records.has('imap.example.test./AAAA')).toBe(false);
    expect(world.records.get('example.test./MX')).toEqual({ ...mx, values: ['10 mail2.example.test.'] });
    const notices = world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input.notice);
    expect(notices).toContain('users-advance-lucky');
    expect(notices).toContain('users-mail-app-redownload'); // clients re-download: say it is normal
    expect(notices).not.toContain('users-new-credentials');
  } finally {
    await stop();
  }
});

it('lowers, parks and moves the A and the AAAA by address family (IPv6 host2 addresses too) and gives each its own TTL back', async () => {
  const world = fakeWorld([mx, imapA, imapAAAA]);
  const { handle, stop } = await startLucky(world, {
    name: 'imap.example.test.',
    host2Addresses: ['192.0.2.2', '2001:db8::2'],
    parkedAddresses: ['192.0.2.99', '2001:db8::99'],
  });
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    await until(env, handle, (s) => s.openGate === 'switch-mx');
    expect(world.records.get('imap.example.test./A')).toEqual({ ...imapA, ttl: LOW_TTL, values: ['192.0.2.99'] });
    expect(world.records.get('imap.example.test./AAAA')).toEqual({ ...imapAAAA, ttl: LOW_TTL, values: ['2001:db8::99'] });
    await approveWhenOpen(env, handle, 'switch-mx');
    await approveWhenOpen(env, handle, 'shutdown-old');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');

    expect(imapWrites(world)).toEqual([
      'A 127.0.0.1 ttl 300',
      'AAAA 2001:db8::1 ttl 300',
      'A 192.0.2.99 ttl 300',
      'AAAA 2001:db8::99 ttl 300',
      'A 192.0.2.2 ttl 300',
      'AAAA 2001:db8::2 ttl 300',
      'A 192.0.2.2 ttl 86400',
      'AAAA 2001:db8::2 ttl 7200',
    ]);
    // Each record back to its own TTL, on host2's addresses (IPv6 included).
    expect(world.records.get('imap.example.test./A')).toEqual({ ...imapA, values: ['192.0.2.2'] });
    expect(world.records.get('imap.example.test./AAAA')).toEqual({ ...imapAAAA, values: ['2001:db8::2'] });
    // Both originals recorded: a rollback before the hand-over would put them back.
    expect(report.audit.filter((e) => e.kind === 'dns' && e.step === 'lower TTL').map((e) => (e as { before: DnsRecordSet[] }).before[0])).toEqual([
      mx,
      imapA,
      imapAAAA,
    ]);
  } finally {
    await stop();
  }
});

it("after parking, waits the low TTL and closes each wave's open sessions on host1 before its final sync", async () => {
  const world = fakeWorld([mx, imapA]);
  const { handle, stop } = await startLucky(
    world,
    { name: 'imap.example.test.', host2Addresses: ['192.0.2.2'], parkedAddresses: ['192.0.2.99'] },
    { method: 'dns', doveadmConfig: '/etc/dovecot/dovecot.conf' },
  );
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    const atSwitch = await until(env, handle, (s) => s.openGate === 'switch-mx');

    // Clients resolve the parked address (the low TTL ran out) before any final sync starts...
    const parked = atSwitch.audit.filter((e) => e.kind === 'dns' && e.step === 'park the IMAP host name').map((e) => Date.parse(e.at));
    const finals = atSwitch.rounds.filter((r) => r.kind === 'final').map((r) => Date.parse(r.startedAt));
    expect(parked).toHaveLength(1);
    expect(finals).toHaveLength(2);
    expect(Math.min(...finals) - parked[0]).toBeGreaterThanOrEqual(LOW_TTL * 1000);
    // ...and each wave's open sessions on host1 are closed right before its final sync.
    const order = world.calls
      .slice(world.calls.findIndex((c) => c.name === 'closeSessions'))
      .filter((c) => c.name === 'closeSessions' || (c.name === 'syncMailbox' && !c.input.deleteOnSource))
      .map((c) => (c.name === 'closeSessions' ? `close ${c.input.users.join(',')}` : `sync ${c.input.mailbox}`));
    expect(order.slice(0, 2)).toEqual(['close alice', 'sync alice']);
    expect(order[2]).toBe('close bob,carol');
    expect(order.slice(3).sort()).toEqual(['sync bob', 'sync carol']);
    expect(world.calls.find((c) => c.name === 'closeSessions')!.input).toEqual({ doveadmConfig: '/etc/dovecot/dovecot.conf', users: ['alice'] });
    expect(
      atSwitch.audit.filter((e) => e.kind === 'access').map((e) => `${(e as { step: string }).step} ${(e as { users: string[] }).users.join(',')}`),
    ).toEqual(['close sessions alice', 'close sessions bob,carol']);
  } finally {
    await stop();
  }
});

it('parked on IPv4 only, the AAAA is removed (no IPv6 client stays on host1); a rollback re-creates it exactly', async () => {
  const world = fakeWorld([mx, imapA, imapAAAA]);
  const { handle, stop } = await startLucky(world, { name: 'imap.example.test.', host2Addresses: ['2001:db8::2'], parkedAddresses: ['192.0.2.99'] });
  try {
    await approveWhenOpen(env, handle, 'start');
    // The AAAA's removal does not propagate at first: the step stops, saying what is changed.
    world.fail.checkPropagation = (i: { expected: unknown; type?: string }) => {
      if (!i.expected && i.type === 'AAAA') throw ApplicationFailure.nonRetryable('a resolver still answers the AAAA', 'NotPropagated');
    };
    await approveWhenOpen(env, handle, 'cutover');
    const failed = await until(env, handle, (s) => s.openGate === 'step-failed');
    expect(failed.failure).toMatchObject({ step: 'park the IMAP host name', error: 'a resolver still answers the AAAA' });
    expect(failed.failure!.changed).toEqual([
      'DNS example.test. MX is now 10 mail1.example.test. (TTL 300)',
      'DNS imap.example.test. A is now 192.0.2.99 (TTL 300)',
      'DNS imap.example.test. AAAA is deleted',
    ]);
    world.fail = {};
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
    await approveWhenOpen(env, handle, 'switch-mx');
    await until(env, handle, (s) => s.openGate === 'shutdown-old');
    expect(world.records.get('imap.example.test./A')).toEqual({ ...imapA, ttl: LOW_TTL, values: ['192.0.2.99'] });
    expect(world.records.has('imap.example.test./AAAA')).toBe(false);

    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'host2 is not ready' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(imapWrites(world)).toEqual([
      'A 127.0.0.1 ttl 300',
      'AAAA 2001:db8::1 ttl 300',
      'A 192.0.2.99 ttl 300',
      'AAAA deleted',
      'A 192.0.2.99 ttl 300', // the retry: already so, nothing more to delete
      'A 127.0.0.1 ttl 86400',
      'AAAA 2001:db8::1 ttl 7200',
    ]);
    expect(world.records.get('imap.example.test./A')).toEqual(imapA);
    expect(world.records.get('imap.example.test./AAAA')).toEqual(imapAAAA);
    expect(world.records.get('example.test./MX')).toEqual(mx);
  } finally {
    await stop();
  }
});

it('an AAAA host1 never had: parked, then deleted by the rollback', async () => {
  const world = fakeWorld([mx, imapA]);
  const { handle, stop } = await startLucky(world, {
    name: 'imap.example.test.',
    host2Addresses: ['192.0.2.2'],
    parkedAddresses: ['192.0.2.99', '2001:db8::99'],
  });
  try {
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover');
    await until(env, handle, (s) => s.openGate === 'switch-mx');
    expect(world.records.get('imap.example.test./AAAA')).toEqual({ name: 'imap.example.test.', type: 'AAAA', ttl: LOW_TTL, values: ['2001:db8::99'] });
    await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator' }] });
    const report = await handle.result();
    expect(report.outcome).toBe('rolled-back');
    expect(world.records.get('imap.example.test./A')).toEqual(imapA);
    expect(world.records.has('imap.example.test./AAAA')).toBe(false);
    expect(imapWrites(world).slice(-2)).toEqual(['A 127.0.0.1 ttl 86400', 'AAAA deleted']);
  } finally {
    await stop();
  }
});

it('an IPv6-only IMAP host (AAAA, no A) moves to a dual-stack host2; the new A gets the TTL the name had', async () => {
  const world = fakeWorld([mx, imapAAAA]);
  const { handle, stop } = await startLucky(world, {
    name: 'imap.example.test.',
    host2Addresses: ['192.0.2.2', '2001:db8::2'],
    parkedAddresses: ['2001:db8::99'],
  });
  try {
    const report = await approveEveryGate(handle);
    expect(report.outcome).toBe('completed');
    expect(imapWrites(world)).toEqual([
      'AAAA 2001:db8::1 ttl 300',
      'AAAA 2001:db8::99 ttl 300',
      'A 192.0.2.2 ttl 300',
      'AAAA 2001:db8::2 ttl 300',
      'A 192.0.2.2 ttl 7200',
      'AAAA 2001:db8::2 ttl 7200',
    ]);
  } finally {
    await stop();
  }
});

it('an IMAP host name without any address record stops at step-failed before changing anything', async () => {
  const world = fakeWorld([mx]);
  const { handle, stop } = await startLucky(world, { name: 'imap.example.test.', host2Addresses: ['192.0.2.2'], parkedAddresses: ['192.0.2.99'] });
  try {
    await approveWhenOpen(env, handle, 'start');
    const failed = await until(env, handle, (s) => s.openGate === 'step-failed');
    expect(failed.failure?.error).toBe('imap.example.test. has no A or AAAA record in example.test');
    expect(world.calls.some((c) => c.name === 'replaceRecords')).toBe(false);
  } finally {
    await stop();
  }
});
