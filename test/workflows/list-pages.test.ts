// A migration of a mailbox list (spec mailboxList) past one page: the validated spec the
// workflow keeps names the file and its digest, never the rows; each round runs a child
// workflow per page of 1,000 mailboxes, each reading its own page; notices to many go out
// by page too; the result lists 1,000 mailboxes (the failing first) and the `mailboxes`
// query pages through every one. A list edited mid-migration is refused until it is put back.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import type { MigrationSpecInput } from '../../workflows/spec';
import { mailboxesQuery, REPORT_MAILBOXES } from '../../workflows/status';
import { fakeWorld } from './fakes';
import { approveWhenOpen, startWorker } from './harness';

jest.setTimeout(300_000);
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const MAILBOXES = 1_100;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

const payloadJson = (p: { data?: Uint8Array | null } | undefined) => Buffer.from(p?.data ?? []).toString();

it('runs a list of 1,100 mailboxes in pages: no payload carries the list, the report pages through it', async () => {
  const rows = Array.from(
    { length: MAILBOXES },
    (_, i) => `user${i},user${i},env:HOST2_PASSWORD,${i < 100 ? 'friendly-users' : 'everyone'},user${i}@contact.test`,
  );
  const list = path.join(mkdtempSync(path.join(tmpdir(), 'list-')), 'batch.csv');
  writeFileSync(list, `EmailAddress,UserName,DestinationPassword,Wave,Contact\n${rows.join('\n')}\n`);
  const { mailboxes, ...spec } = demoSpec('classical', new Date((await env.currentTimeMs()) + 86_400_000 + 3_600_000));
  const { credential, masterUser, masterUserSeparator } = mailboxes[0].source;
  const input = { ...spec, mailboxList: { from: `file:${list}`, defaults: { source: { credential, masterUser, masterUserSeparator } } } };
  const world = fakeWorld([mx]);
  world.syncCopies = (req) => (req.mailbox === 'user7' ? 3 : 0);
  // user1099's first sync (in the first pre-sync) fails, every attempt of it.
  let refusals = 0;
  world.fail.syncMailbox = (req: { mailbox: string }) => {
    if (req.mailbox === 'user1099' && refusals++ < 5) throw new Error('host1 refused the login');
  };
  const worker = await startWorker(env, world);
  try {
    const handle = await env.client.workflow.start(classicalMigration, {
      taskQueue: worker.taskQueue,
      workflowId: `pages-${randomUUID()}`,
      args: [input as unknown as MigrationSpecInput],
    });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');

    // The spec as validated (a local activity's marker) names the file, not its 1,100 rows.
    const events = (await handle.fetchHistory()).events ?? [];
    const marker = events.find((e) => e.markerRecordedEventAttributes?.details?.result);
    const validated = payloadJson(marker!.markerRecordedEventAttributes!.details!.result!.payloads![0]);
    expect(validated).toContain('"sha256"');
    expect(validated).not.toContain('user1000');
    expect(validated.length).toBeLessThan(20_000);

    // Every round ran as two page children: 1,000 mailboxes and 100.
    const children = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
    const presync = children.filter((id) => id.includes('/presync-'));
    expect(presync.filter((id) => id.endsWith('-page1')).length).toBeGreaterThanOrEqual(1);
    expect(presync.filter((id) => id.endsWith('-page2')).length).toBe(presync.filter((id) => id.endsWith('-page1')).length);
    expect(presync.some((id) => id.endsWith('-page3'))).toBe(false);
    // Each mailbox was synced once per round, by one of the pages.
    const firstPresync = world.calls.filter((c) => c.name === 'syncMailbox').slice(0, MAILBOXES);
    expect(new Set(firstPresync.map((c) => (c.input as { mailbox: string }).mailbox)).size).toBe(MAILBOXES);
    // Notices to everyone went out by pages read from the list: one Bcc message per 200 contacts.
    const advance = world.calls.filter((c) => c.name === 'sendNotice' && (c.input as { notice: string }).notice === 'users-advance');
    expect(advance.flatMap((c) => (c.input as { to: string[] }).to)).toHaveLength(MAILBOXES);
    const credentials = world.calls.filter((c) => c.name === 'sendNotice' && (c.input as { notice: string }).notice === 'users-new-credentials');
    expect(credentials).toHaveLength(MAILBOXES);
    expect(new Set(credentials.map((c) => (c.input as { idempotencyKey: string }).idempotencyKey)).size).toBe(MAILBOXES);

    // The result lists 1,000 mailboxes, the failing one first; the query has every one.
    expect(Object.keys(report.mailboxes)).toHaveLength(REPORT_MAILBOXES);
    expect(report.mailboxesOmitted).toBe(MAILBOXES - REPORT_MAILBOXES);
    expect(report.rounds.find((r) => r.kind === 'presync')).toMatchObject({ mailboxes: MAILBOXES, failed: ['user1099'], failedCount: 1 });
    const all: Record<string, { usersOnHost2: boolean; wave: string }> = {};
    for (let offset = 0; offset < MAILBOXES; offset += 1000) {
      const page = await handle.query(mailboxesQuery, { offset, limit: 1000 });
      expect(page.total).toBe(MAILBOXES);
      Object.assign(all, page.mailboxes);
    }
    expect(Object.keys(all)).toHaveLength(MAILBOXES);
    expect(Object.values(all).every((m) => m.usersOnHost2)).toBe(true);
    expect(all.user99.wave).toBe('friendly-users');
    expect(all.user100.wave).toBe('everyone');
  } finally {
    await worker.stop();
  }
});
