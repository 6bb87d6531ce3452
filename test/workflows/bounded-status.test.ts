// The status query stays readable however many mailboxes a migration has: counts per wave,
// at most STATUS_MAILBOXES listed with the failing ones first, any one by the `mailbox`
// query; the final report keeps them all (time-skipping server, activities faked).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import type { SyncRequest } from '../../activities/imap/types';
import { classicalMigration } from '../../workflows/classical-migration';
import { mailboxQuery, statusQuery } from '../../workflows/status';
import { STATUS_MAILBOXES } from '../../workflows/wave-totals';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker, until } from './harness';

const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

it(`lists at most ${STATUS_MAILBOXES} mailboxes, the failing first, counts every one per wave, and finds any one`, async () => {
  const world = fakeWorld([mx]);
  // The last two mailboxes of the list fail their syncs: far past the listed ones, in order.
  world.fail.syncMailbox = (req: SyncRequest) => {
    if (req.mailbox === 'user498' || req.mailbox === 'user499')
      throw ApplicationFailure.nonRetryable(`host1 refused the login of ${req.mailbox}`, 'LoginFailed');
  };
  const worker = await startWorker(env, world);
  try {
    const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000));
    const template = base.mailboxes[0];
    const mailboxes = Array.from({ length: 500 }, (_, i) => ({
      ...template,
      source: { ...template.source, user: `user${i}` },
      destination: { ...template.destination, user: `user${i}` },
      wave: i < 100 ? 'pilot' : 'everyone',
    }));
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `bounded-${randomUUID()}`,
      args: [{ ...base, mailboxes, sync: { concurrency: 50 } }],
    });
    await approveWhenOpen(env, handle, 'start');
    const s = await until(env, handle, (st) => st.rounds.some((r) => r.kind === 'presync'));

    const listed = Object.keys(s.mailboxes);
    expect(listed).toHaveLength(STATUS_MAILBOXES);
    expect(listed.slice(0, 2)).toEqual(['user498', 'user499']);
    expect(listed.slice(2, 5)).toEqual(['user0', 'user1', 'user2']);
    expect(s.mailboxesOmitted).toBe(500 - STATUS_MAILBOXES);
    expect(s.waves).toEqual([
      { wave: 'pilot', mailboxes: 100, synced: 100, failed: 0, cut: 0, onHost2: 0 },
      { wave: 'everyone', mailboxes: 400, synced: 398, failed: 2, cut: 0, onHost2: 0 },
    ]);
    // One mailbox, listed or not; none for a user the migration does not have.
    expect(await handle.query(mailboxQuery, 'user350')).toMatchObject({
      mailbox: 'user350',
      wave: 'everyone',
      synced: true,
      last: { kind: 'presync', ok: true },
    });
    expect(await handle.query(mailboxQuery, 'user499')).toMatchObject({
      mailbox: 'user499',
      last: { ok: false, error: expect.stringContaining('host1 refused the login of user499') },
    });
    expect(await handle.query(mailboxQuery, 'nobody')).toBeNull();
    expect(await handle.query(mailboxQuery, 'constructor')).toBeNull();
    // The status answer stays small: the whole map would be many times larger.
    expect(JSON.stringify(await handle.query(statusQuery)).length).toBeLessThan(150_000);
    await handle.terminate('test done');
  } finally {
    await worker.stop();
  }
}, 120_000);
