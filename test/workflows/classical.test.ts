// The classical scenario end to end on the time-skipping server, activities faked:
// the FAQ's steps in order over days of skipped time, and the phase rules.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { mailboxesQuery, mailboxQuery, statusQuery } from '../../workflows/status';
import { fakeWorld, type FakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';
import type { SyncRequest } from '../../activities/imap/types';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

async function start(world: FakeWorld, days = 5) {
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + days * DAY - 3_600_000);
  const handle = await env.client.workflow.start(classicalMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `classical-${randomUUID()}`,
    args: [demoSpec('classical', migrationAt)],
  });
  return { worker, handle };
}

const syncs = (world: FakeWorld) => world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);

describe('classical migration', () => {
  it('runs the FAQ steps in order over days of skipped time', async () => {
    const world = fakeWorld([mx]);
    // Mail still arrives on host1 for two post-sync rounds (3 mailboxes a round), then stops.
    world.postsyncArrivals = [2, 1, 0, 0, 1, 0];
    const { worker, handle } = await start(world);
    try {
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
      const afterFirstWave = syncs(world).filter((r) => r.mailbox === 'alice');
      expect(afterFirstWave.at(-1)?.deleteOnDestination).toBe(true); // alice's final sync
      await approveWhenOpen(env, handle, 'cutover', 'everyone');
      await approveWhenOpen(env, handle, 'switch-mx');
      const report = await handle.result();

      expect(report.outcome).toBe('completed');
      const order = world.calls.map((c) => c.name).filter((n, i, a) => n !== a[i - 1]);
      expect(order.slice(0, 4)).toEqual(['verifyMailbox', 'sendNotice', 'readRecords', 'replaceRecords']);
      // Daily pre-syncs from the end of the old TTL (1 day) to the migration hour (5 days - 1 h).
      const presyncs = report.rounds.filter((r) => r.kind === 'presync');
      expect(presyncs.map((r) => Math.round((Date.parse(r.startedAt) - Date.parse(presyncs[0].startedAt)) / DAY))).toEqual([0, 1, 2, 3]);
      expect(presyncs.every((r) => r.mailboxes === 3 && r.failed.length === 0)).toBe(true);
      // The TTL went down to 300 s before anything else changed, and came back at the end.
      const dns = report.audit.filter((e) => e.kind === 'dns');
      expect(dns.map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
      expect(world.records.get('example.test./MX')).toEqual({ ...mx, ttl: 86400, values: ['10 mail2.example.test.'] });
      // Post-syncs: INBOX only, about a day back (the first: back to the final sync), never delete on host2, delete on host1.
      const post = syncs(world).filter((r) => r.deleteOnSource);
      expect(post.length).toBe(3 * 5); // 2 rounds with new mail, then 3 quiet rounds in a row
      for (const r of post) {
        expect(r.maxAgeDays).toBeGreaterThanOrEqual(1);
        expect(r.folders?.include).toEqual(['^INBOX$']);
        expect(r.deleteOnDestination).toBe(false);
        expect(r.deleteOnSource).toBe(true);
      }
      expect(report.audit.filter((e) => e.kind === 'approval').map((e) => (e as { gate: string }).gate)).toEqual(['start', 'cutover', 'cutover', 'switch-mx']);
      // Each sync is handed the state its mailbox's previous sync returned (incremental re-syncs).
      const alice = world.calls.map((c, i) => ({ ...c, i })).filter((c) => c.name === 'syncMailbox' && c.input.mailbox === 'alice');
      expect(alice[0].input.previous).toBeUndefined();
      for (let k = 1; k < alice.length; k++) expect(alice[k].input.previous?.takenAt).toBe(`sync-${alice[k - 1].i + 1}`);
      const cut = world.calls.filter((c) => c.name === 'cutAccess').map((c) => c.input.users);
      expect(cut).toEqual([['alice'], ['bob', 'carol']]);
      // The audit says which wave each cut was; each mailbox's record says it was cut.
      expect(report.audit.filter((e) => e.kind === 'access').map((e) => [(e as { wave?: string }).wave, (e as { users: string[] }).users])).toEqual([
        ['friendly-users', ['alice']],
        ['everyone', ['bob', 'carol']],
      ]);
      expect(Object.values(report.mailboxes).map((m) => m.accessCut)).toEqual([true, true, true]);
      expect(await handle.query(mailboxQuery, 'bob')).toMatchObject({ mailbox: 'bob', accessCut: true });
      expect((await handle.query(mailboxesQuery, { offset: 2, limit: 5 })).mailboxes.carol).toMatchObject({ accessCut: true });
    } finally {
      await worker.stop();
    }
  });

  it('never deletes on host2 once the MX points there or users work there', async () => {
    const world = fakeWorld([mx]);
    const { worker, handle } = await start(world, 2);
    try {
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
      await approveWhenOpen(env, handle, 'cutover', 'everyone');
      await approveWhenOpen(env, handle, 'switch-mx');
      await handle.result();
      const mxSwitchedAt = world.calls.findIndex((c) => c.name === 'replaceRecords' && c.input.next.values[0] === '10 mail2.example.test.');
      expect(mxSwitchedAt).toBeGreaterThan(0);
      const after = world.calls.slice(mxSwitchedAt).filter((c) => c.name === 'syncMailbox');
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((c) => c.input.deleteOnDestination === false)).toBe(true);
      const before = world.calls.slice(0, mxSwitchedAt).filter((c) => c.name === 'syncMailbox');
      // Before: each mailbox's first sync deletes nothing on host2 (all it holds then is the users' own), the later ones keep it exact.
      const seen = new Set<string>();
      for (const { input } of before) {
        const first = !seen.has(input.mailbox);
        seen.add(input.mailbox);
        expect({ mailbox: input.mailbox, first, deleteOnDestination: input.deleteOnDestination, deleteOnSource: input.deleteOnSource }).toEqual({
          mailbox: input.mailbox,
          first,
          deleteOnDestination: !first,
          deleteOnSource: false,
        });
      }
    } finally {
      await worker.stop();
    }
  });

  it('leaves a TTL already at or below the low TTL as it is, and waits only that TTL', async () => {
    const short = { ...mx, ttl: 60 };
    const world = fakeWorld([short]);
    const { worker, handle } = await start(world, 2);
    try {
      await approveWhenOpen(env, handle, 'start');
      const presyncing = await until(env, handle, (s) => s.rounds.some((r) => r.kind === 'presync'));
      expect(world.calls.filter((c) => c.name === 'replaceRecords')).toEqual([]);
      expect(world.records.get('example.test./MX')).toEqual(short);
      // The old TTL was 60 s: that is all the runbook waits before its first pre-sync.
      const approvedAt = Date.parse(presyncing.audit.find((e) => e.kind === 'approval')!.at);
      const firstPresync = Date.parse(presyncing.rounds.find((r) => r.kind === 'presync')!.startedAt);
      expect(firstPresync - approvedAt).toBeGreaterThanOrEqual(60_000);
      expect(firstPresync - approvedAt).toBeLessThan(120_000);
      await handle.terminate('test done');
    } finally {
      await worker.stop();
    }
  });

  it('refuses to switch the MX when the final sync left messages missing', async () => {
    const world = fakeWorld([mx]);
    const { worker, handle } = await start(world, 1);
    try {
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
      world.missing.set('bob', 2); // the final verification of wave "everyone" finds 2 missing
      await approveWhenOpen(env, handle, 'cutover', 'everyone');
      const s = await until(env, handle, (st) => st.openGate === 'step-failed' || st.openGate === 'switch-mx');
      expect(s.openGate).toBe('step-failed');
      expect(s.failure?.error).toMatch(/missing on host2: bob: 2/);
      await env.sleep('7 days'); // however long it waits, the MX stays
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(world.records.get('example.test./MX')?.values).toEqual(['10 mail1.example.test.']);
      await handle.terminate('test done');
    } finally {
      await worker.stop();
    }
  });

  it('refuses wrong gates, early approvals and unknown approvers, and records refused signals', async () => {
    const world = fakeWorld([mx]);
    const { worker, handle } = await start(world);
    try {
      await until(env, handle, (s) => s.openGate === 'start');
      const { approveUpdate, approveSignal } = await import('../../workflows/gates');
      await expect(handle.executeUpdate(approveUpdate, { args: [{ gate: 'switch-mx', by: 'operator' }] })).rejects.toMatchObject({
        cause: { message: 'gate "switch-mx" is not open; the open gate is "start"' },
      });
      await expect(handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'mallory' }] })).rejects.toMatchObject({
        cause: { message: '"mallory" is not an allowed approver of this migration' },
      });
      await handle.signal(approveSignal, { gate: 'cutover', by: 'operator' });
      const s = await until(env, handle, (st) => st.audit.some((e) => e.kind === 'refused' && e.via === 'signal'));
      expect(s.openGate).toBe('start'); // nothing was taken
      expect(s.audit.filter((e) => e.kind === 'refused').map((e) => [e.by, e.via])).toEqual([
        ['operator', 'update'],
        ['mallory', 'update'],
        ['operator', 'signal'],
      ]);
      expect(world.calls.some((c) => c.name === 'readRecords')).toBe(false); // still before lowering the TTL
      await handle.terminate('test done');
    } finally {
      await worker.stop();
    }
  });

  it('rolls back before the point of no return: DNS restored, host1 re-opened, users told', async () => {
    const world = fakeWorld([mx]);
    const { worker, handle } = await start(world, 1);
    try {
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
      await until(env, handle, (s) => s.phase === 'waiting for cutover (everyone)');
      const { rollbackUpdate } = await import('../../workflows/gates');
      await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator', comment: 'alice reports missing folders' }] });
      const report = await handle.result();
      expect(report.outcome).toBe('rolled-back');
      expect(world.records.get('example.test./MX')).toEqual(mx); // exactly as recorded, TTL included
      expect(world.calls.filter((c) => c.name === 'restoreAccess').map((c) => c.input.users)).toEqual([['alice']]);
      const notices = world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input.notice);
      expect(notices).toContain('users-rollback');
      expect(notices).toContain('approver-rollback-done');
    } finally {
      await worker.stop();
    }
  });

  it('refuses rollback once users work on host2', async () => {
    const world = fakeWorld([mx]);
    world.postsyncArrivals = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const { worker, handle } = await start(world, 1);
    try {
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
      await approveWhenOpen(env, handle, 'cutover', 'everyone');
      await approveWhenOpen(env, handle, 'switch-mx');
      await until(env, handle, (s) => Object.values(s.mailboxes).every((m) => m.usersOnHost2));
      const { rollbackUpdate, approveUpdate } = await import('../../workflows/gates');
      await expect(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator' }] })).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/^rollback refused: users already work on host2/) },
      });
      await handle.executeUpdate(approveUpdate, { args: [{ gate: 'done', by: 'operator' }] });
      expect((await handle.result()).outcome).toBe('completed');
      expect((await handle.query(statusQuery)).phase).toBe('completed');
    } finally {
      await worker.stop();
    }
  });
});
