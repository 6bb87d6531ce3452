// The mx-first scenario on the time-skipping server, activities faked: the MX moves
// first, users get host2 at once, and their old mail is back-filled from host1 round
// after round, never deleting anywhere, until a round copies nothing.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { mxFirstMigration } from '../../workflows/mx-first-migration';
import { approveUpdate, rollbackUpdate } from '../../workflows/gates';
import { statusQuery } from '../../workflows/status';
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

async function start(world: FakeWorld, days = 2) {
  const worker = await startWorker(env, world);
  const migrationAt = new Date((await env.currentTimeMs()) + days * DAY - 3_600_000);
  const handle = await env.client.workflow.start(mxFirstMigration, {
    taskQueue: worker.taskQueue,
    workflowId: `mx-first-${randomUUID()}`,
    args: [demoSpec('mx-first', migrationAt)],
  });
  return { worker, handle, migrationAt };
}

/** Each mailbox's back-fill copies these in turn (then nothing): mail still on host1, and late deliveries. */
function copiesInTurn(world: FakeWorld, copies: Record<string, number[]>) {
  world.syncCopies = (req) => copies[req.mailbox]?.shift() ?? 0;
}

const at = (world: FakeWorld, pred: (c: FakeWorld['calls'][number]) => boolean) => world.calls.findIndex(pred);

describe('mx-first migration', () => {
  it('switches the MX, hands host2 to users, then back-fills until a round copies nothing; deletes nowhere', async () => {
    const world = fakeWorld([mx]);
    copiesInTurn(world, { alice: [5, 1], bob: [4], carol: [2] });
    const { worker, handle, migrationAt } = await start(world);
    try {
      await approveWhenOpen(env, handle, 'start');
      await until(env, handle, (s) => s.openGate === 'switch-mx');
      // The users were told the migration hour: gate switch-mx opens at it, not before (the old TTL ran out a day earlier).
      expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(migrationAt.getTime());
      expect(world.calls.some((c) => c.name === 'syncMailbox')).toBe(false);
      await approveWhenOpen(env, handle, 'switch-mx');
      const waiting = await until(env, handle, (s) => s.openGate === 'close-old');
      // host1 stays readable while the gate waits: nothing deleted, access never cut.
      expect(world.calls.some((c) => c.name === 'cutAccess')).toBe(false);
      expect(waiting.rounds.filter((r) => r.kind === 'backfill').map((r) => r.copied)).toEqual([11, 1, 0]);
      await env.sleep('3 days');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input.notice)).not.toContain('users-done');
      await handle.executeUpdate(approveUpdate, { args: [{ gate: 'close-old', by: 'operator' }] });
      const report = await handle.result();

      expect(report.outcome).toBe('completed');
      expect(report.scenario).toBe('mx-first');
      const mxSwitched = at(world, (c) => c.name === 'replaceRecords' && c.input.next?.values[0] === '10 mail2.example.test.');
      const handedOver = at(world, (c) => c.name === 'sendNotice' && c.input.notice === 'users-new-credentials');
      const firstSync = at(world, (c) => c.name === 'syncMailbox');
      expect(mxSwitched).toBeGreaterThan(0);
      expect(handedOver).toBeGreaterThan(mxSwitched);
      expect(firstSync).toBeGreaterThan(handedOver);
      const notices = world.calls.filter((c) => c.name === 'sendNotice').map((c) => c.input.notice);
      // (The credentials go one message per user.)
      const toUsers = notices.filter((n, i) => n.startsWith('users-') && n !== notices[i - 1]);
      expect(toUsers).toEqual(['users-advance-mx-first', 'users-new-credentials', 'users-done']);
      // Every sync: all folders, host1 to host2, deleting on neither side.
      const syncs = world.calls.filter((c) => c.name === 'syncMailbox').map((c) => c.input as SyncRequest);
      expect(syncs.length).toBe(9);
      for (const r of syncs) {
        expect({ mailbox: r.mailbox, deleteOnDestination: r.deleteOnDestination, deleteOnSource: r.deleteOnSource }).toEqual({
          mailbox: r.mailbox,
          deleteOnDestination: false,
          deleteOnSource: false,
        });
        expect(r.folders?.include).toEqual([]);
        expect(r.maxAgeDays).toBeUndefined();
      }
      // On the pre-sync cadence (a day), each round handed the previous round's state.
      const backfills = report.rounds.filter((r) => r.kind === 'backfill');
      expect(backfills.map((r) => Math.round((Date.parse(r.startedAt) - Date.parse(backfills[0].startedAt)) / DAY))).toEqual([0, 1, 2]);
      const alice = world.calls.map((c, i) => ({ ...c, i })).filter((c) => c.name === 'syncMailbox' && c.input.mailbox === 'alice');
      for (let k = 1; k < alice.length; k++) expect(alice[k].input.previous?.takenAt).toBe(`sync-${alice[k - 1].i + 1}`);
      // The report: what was back-filled for each mailbox, over every round.
      expect(Object.fromEntries(Object.entries(report.mailboxes).map(([u, m]) => [u, m.backfilled]))).toEqual({ alice: 6, bob: 4, carol: 2 });
      expect(Object.values(report.mailboxes).every((m) => m.usersOnHost2)).toBe(true);
      expect(report.audit.filter((e) => e.kind === 'destructive-sync')).toEqual([]);
      expect(report.audit.filter((e) => e.kind === 'approval').map((e) => (e as { gate: string }).gate)).toEqual(['start', 'switch-mx', 'close-old']);
      // The TTL went down first and came back at the end; the MX stays on host2.
      expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
      expect(world.records.get('example.test./MX')).toEqual({ ...mx, values: ['10 mail2.example.test.'] });
      expect(report.steps[report.currentStep]).toBe('restore the TTLs');
    } finally {
      await worker.stop();
    }
  });

  it('stops at step-failed when a mailbox fails to back-fill, refuses to skip it, and goes on after a retry', async () => {
    const world = fakeWorld([mx]);
    copiesInTurn(world, { alice: [5], bob: [4, 2], carol: [2] });
    world.fail.syncMailbox = (req: SyncRequest) => {
      if (req.mailbox === 'bob') throw ApplicationFailure.nonRetryable('host1: bob: NO mailbox locked', 'ImapRefused');
    };
    const { worker, handle } = await start(world, 1);
    try {
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'switch-mx');
      const failed = await until(env, handle, (s) => s.openGate === 'step-failed' || s.openGate === 'close-old');
      expect(failed.openGate).toBe('step-failed');
      expect(failed.failure?.step).toBe('back-fill');
      expect(failed.failure?.error).toMatch(/bob: host1: bob: NO mailbox locked/);
      expect(failed.failure?.choices).toBe('retry or rollback');
      // bob's old mail is not on host2: going on without it is refused, and so is a rollback (users are on host2).
      await expect(handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'skip' }] })).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/cannot be skipped/) },
      });
      await expect(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'operator' }] })).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/^rollback refused: users already work on host2/) },
      });
      await env.sleep('2 days'); // however long it waits, it does not take the round for a complete one
      expect((await handle.query(statusQuery)).openGate).toBe('step-failed');
      world.fail = {};
      await handle.executeUpdate(approveUpdate, { args: [{ gate: 'step-failed', by: 'operator', decision: 'retry' }] });
      await approveWhenOpen(env, handle, 'close-old');
      const report = await handle.result();
      expect(report.outcome).toBe('completed');
      // Round 1 (bob failed), its retry (bob's 4 + 2 arrive over two rounds), then a round that copies nothing.
      expect(report.rounds.filter((r) => r.kind === 'backfill').map((r) => [r.copied, r.failed])).toEqual([
        [7, ['bob']],
        [4, []],
        [2, []],
        [0, []],
      ]);
      expect(report.mailboxes.bob.backfilled).toBe(6);
    } finally {
      await worker.stop();
    }
  });
});
