// The runbook's promise "no message is lost, whatever the timeline" on a hostile timeline,
// with the REAL activities against real servers (time skipped by the test server):
//  - mail keeps reaching host1's INBOX from the first cut-over until the MX switch (a
//    background deliverer, as an MTA's LMTP would: through the admin master login, since
//    the users are locked out of host1 after their cut-over);
//  - gate switch-mx waits two (skipped) days, and mail dated during those days reaches host1;
//  - after the switch, one straggler still reaches host1 (a resolver's cached MX), and new
//    mail reaches host2 directly;
//  - carol and alice started early: a message of their own was on host2 before the first
//    pre-sync (carol's before the migration started, alice's once preflight had looked,
//    while gate start waited).
// Whatever reached host1 or host2 at any time must end on host2 exactly once, and the
// users' own messages must never be deleted.
//
// Dates: the workflow's clock runs ahead of the wall clock (days are skipped), the servers
// and activities run on the wall clock. The story's clock is the workflow's: every message
// delivered here is dated by env.currentTimeMs(), as a server living in that timeline
// would date it. (A post-sync's window is computed in workflow time but applied by the
// activity from the wall clock, so here it reaches further back on host1 than it would in
// production: this test cannot catch a window too short; test/workflows/timeline.test.ts
// checks the window itself.)
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ImapFlow } from 'imapflow';
import * as activities from '../../activities';
import type { DovecotServer } from '../../scripts/servers/dovecot';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { dig } from '../dns/dig';
import { approveWhenOpen, until, workflowBundle } from '../workflows/harness';
import { isCanary, messages, startRealWorld, type RealWorld } from './real-world';

jest.setTimeout(180_000);

type User = (typeof demoUsers)[number];
const DAY = 86_400_000;
/** The deliverer's pace: a few messages a second, then (past SLOW_AFTER, on a slow machine) one every 2 s, until the MX moves. */
const DELIVERY_EVERY_MS = 250;
const SLOW_AFTER = 200;
const SLOW_EVERY_MS = 2_000;

let w: RealWorld;
let deliverer: Deliverer | undefined;
beforeAll(async () => {
  w = await startRealWorld();
});
afterAll(async () => {
  await deliverer?.stop().catch(() => undefined);
  await w?.stop();
});

const raw = (user: string, id: string, subject: string, date: Date) =>
  [
    `Return-Path: <sender@example.net>`,
    `Received: from mx.example.net by mail.example.test with LMTP; ${date.toUTCString()}`,
    'From: Sender <sender@example.net>',
    `To: ${user}@example.test`,
    `Subject: ${subject}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: ${id}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `${subject}.`,
    '',
  ].join('\r\n');

/** Whole seconds: IMAP internal dates have none smaller. */
const sec = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

interface Login {
  user: string;
  pass: string;
}

/**
 * APPENDs one message to INBOX, as a delivering server does: when the connection fails
 * (a cut-over kicks the user's sessions, the master login's too), it looks for the
 * Message-ID before trying again, so that a message is never delivered twice nor lost.
 */
async function deliver(server: DovecotServer, login: Login, id: string, message: string, date: Date): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: login, logger: false });
    client.on('error', (err: Error) => (lastError = err)); // a kicked session: retried below
    try {
      await client.connect();
      if (attempt > 0) {
        const lock = await client.getMailboxLock('INBOX');
        try {
          const found = await client.search({ header: { 'message-id': id } }, { uid: true });
          if (found && found.length) return;
        } finally {
          lock.release();
        }
      }
      if (await client.append('INBOX', message, [], date)) return;
      lastError = new Error(`APPEND of ${id} answered nothing`);
    } catch (err) {
      lastError = err;
    } finally {
      await client.logout().catch(() => client.close());
    }
  }
  throw new Error(`could not deliver ${id} to ${login.user} on ${server.port}: ${(lastError as Error)?.message}`);
}

/** What reached each user's mailbox, by Message-ID, on either server. */
type Sent = Record<User, string[]>;
const none = (): Sent => ({ alice: [], bob: [], carol: [] });

/** Delivers to host1's INBOX of each user in turn, a few a second, until stopped. */
class Deliverer {
  readonly sent = none();
  private stopped = false;
  private ended = false;
  private readonly loop: Promise<void>;
  private count = 0;

  constructor(
    private readonly env: TestWorkflowEnvironment,
    private readonly host1: DovecotServer,
    private readonly adminPass: string,
  ) {
    this.loop = this.run().finally(() => (this.ended = true));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const user = demoUsers[this.count % demoUsers.length];
      const id = `<flow-${this.count}-${user}@mx.example.test>`;
      const date = sec(await this.env.currentTimeMs());
      await deliver(this.host1, { user: `${user}*admin`, pass: this.adminPass }, id, raw(user, id, `Delivery ${this.count}`, date), date);
      this.sent[user].push(id);
      this.count++;
      await new Promise((r) => setTimeout(r, this.count < SLOW_AFTER ? DELIVERY_EVERY_MS : SLOW_EVERY_MS));
    }
  }

  /** Waits until `n` messages were delivered (however fast or slow the machine is). */
  async reached(n: number): Promise<void> {
    while (this.count < n) {
      if (this.ended) await this.stop(); // a failed delivery's error
      if (this.ended) throw new Error(`the deliverer stopped after ${this.count} messages`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Still delivering: no delivery has failed. */
  get running(): boolean {
    return !this.ended;
  }

  /** Stops after the delivery in flight; a delivery that failed fails the test here. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** A message on host2 as the assertions compare it: its folder and its Message-ID without brackets. */
const key = (folder: string, id: string) => `${folder} ${id.replace(/^<(.*)>$/, '$1')}`;
const hasSwitchedMx = (s: MigrationStatus) => s.audit.some((e) => e.kind === 'dns' && e.step === 'switch MX');

it("moves every message that reached host1 or host2, at any time, to host2 exactly once; a user's own mail on host2 survives", async () => {
  const { host1, host2, env, passwords, servers, knot } = w;
  const admin = (u: User): Login => ({ user: `${u}*admin`, pass: passwords['host1-admin'] });
  const onHost2 = (u: User): Login => ({ user: u, pass: passwords[`host2-${u}`] });

  // What each mailbox must end with on host2: host1's corpus, then every delivery below.
  const expected = Object.fromEntries(
    await Promise.all(demoUsers.map(async (u) => [u, (await messages(host1, u, passwords[`host1-${u}`])).map((m) => key(m.folder, m.id))] as const)),
  ) as Record<User, string[]>;
  const extra = none(); // INBOX deliveries outside the deliverer

  // Users who start early put mail of their own on host2.
  const ownIds: Partial<Record<User, string>> = {};
  const startEarly = async (u: User, subject: string) => {
    const id = `<started-early-${u}@home.example.test>`;
    const at = sec(await env.currentTimeMs());
    await deliver(host2, onHost2(u), id, raw(u, id, subject, at), at);
    extra[u].push(id);
    ownIds[u] = id;
  };
  const ownMailOnHost2 = async () =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(ownIds).map(async ([u, id]) => [
          u,
          (await messages(host2, u, passwords[`host2-${u}`])).filter((m) => key(m.folder, m.id) === key('INBOX', id)).length,
        ]),
      ),
    );
  // carol: before the migration starts.
  await startEarly('carol', 'Written on the new server before the migration');

  const taskQueue = 'e2e-hostile-timeline';
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * DAY), servers);

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue, workflowId: 'e2e-hostile-timeline', args: [spec] });
    const approve = (gate: 'cutover' | 'switch-mx') =>
      handle.executeUpdate(approveUpdate, { args: [{ gate, by: 'operator', comment: `test approves ${gate}` }] });
    // Preflight found carol's message and tells the approvers at gate start.
    const atStart = await until(env, handle, (s) => s.openGate === 'start');
    expect(atStart.mailboxes.carol.ownMailOnHost2).toBe(1);
    expect(atStart.audit.filter((e) => e.kind === 'own-mail-on-host2')).toMatchObject([{ mailbox: 'carol', messages: 1 }]);
    // alice starts early too, once preflight has looked, while gate start waits.
    await startEarly('alice', 'Tried the new server');
    await approveWhenOpen(env, handle, 'start');

    // Pre-syncs ran until the migration hour: both users' own messages are still on host2.
    const atCutover = await until(env, handle, (s) => s.openGate === 'cutover' && s.phase.includes('(friendly-users)'));
    expect(await ownMailOnHost2()).toEqual({ carol: 1, alice: 1 });
    expect(atCutover.mailboxes.alice.ownMailOnHost2).toBe(1);

    // From the first cut-over on, mail keeps reaching host1 for every user.
    deliverer = new Deliverer(env, host1, passwords['host1-admin']);
    await approve('cutover');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');

    // Gate switch-mx waits two days; mail dated during those days reaches host1.
    const gateOpen = await until(env, handle, (s) => s.openGate === 'switch-mx' || s.openGate === 'step-failed');
    expect(gateOpen.failure).toBeUndefined();
    expect(gateOpen.openGate).toBe('switch-mx');
    const openedAt = await env.currentTimeMs();
    const dated = async () => {
      for (let i = 1; i <= 4; i++) {
        for (const u of demoUsers) {
          const id = `<weekend-${i}-${u}@mx.example.test>`;
          const date = sec(openedAt + (i * 2 * DAY) / 5);
          await deliver(host1, admin(u), id, raw(u, id, `Sent on the weekend (${i})`, date), date);
          extra[u].push(id);
        }
      }
    };
    await Promise.all([env.sleep('2 days'), dated()]);
    expect((await handle.query(statusQuery)).openGate).toBe('switch-mx');
    await deliverer.reached(3 * demoUsers.length); // the flow ran for a while, however fast this machine
    await approve('switch-mx');

    // The deliverer stops once the MX points to host2 (its mail goes there from now on).
    for (;;) {
      const s = await handle.query(statusQuery);
      if (s.failure) throw new Error(`stopped at gate step-failed: ${JSON.stringify(s.failure)}`);
      if (hasSwitchedMx(s)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(deliverer.running).toBe(true); // mail reached host1 right up to the switch
    await deliverer.stop();
    expect(await dig(knot.port, 'example.test', 'MX')).toMatchObject({ values: [expect.stringMatching(/^10 mail2\.example\.test\.?$/)] });

    // A straggler still reaches host1 (a resolver's cached MX); new mail reaches host2 directly.
    const lateId = '<straggler-bob@mx.example.test>';
    const lateAt = sec(await env.currentTimeMs());
    await deliver(host1, admin('bob'), lateId, raw('bob', lateId, 'Late, via a cached MX', lateAt), lateAt);
    extra.bob.push(lateId);
    const newOnHost2 = async (round: string) => {
      const at = sec(await env.currentTimeMs());
      for (const u of demoUsers) {
        const id = `<new-${round}-${u}@mx2.example.test>`;
        await deliver(host2, onHost2(u), id, raw(u, id, `Delivered to host2 (${round})`, at), at);
        extra[u].push(id);
      }
    };
    await newOnHost2('after-switch');
    // More arrives on host2 between the daily post-syncs.
    const postSyncing = await until(env, handle, (s) => s.phase === 'post-syncing until quiet' || s.openGate === 'step-failed');
    expect(postSyncing.failure).toBeUndefined();
    await newOnHost2('post-syncing');

    // The daily post-syncs run until quiet (time skipped, the cadence untouched).
    const report = await handle.result();
    expect(report.audit.filter((e) => e.kind === 'step-failed')).toEqual([]);
    expect(report.outcome).toBe('completed');
    expect(report.rounds.flatMap((r) => r.failed)).toEqual([]);
    // The post-syncs had mail to bring over: what arrived after each final sync.
    expect(report.rounds.filter((r) => r.kind === 'postsync').reduce((n, r) => n + r.copied, 0)).toBeGreaterThan(0);

    // Every message that reached either server is on host2, exactly once.
    for (const u of demoUsers) {
      const want = [...expected[u], ...[...deliverer.sent[u], ...extra[u]].map((id) => key('INBOX', id))].sort();
      // The runbook's own canary (workflows/canary.ts) is not users' mail: classical-real counts it.
      const got = (await messages(host2, u, passwords[`host2-${u}`]))
        .filter((m) => !isCanary(m))
        .map((m) => key(m.folder, m.id))
        .sort();
      expect({ user: u, messages: got }).toEqual({ user: u, messages: want });
    }
    expect((await messages(host2, 'bob', passwords['host2-bob'])).filter((m) => key(m.folder, m.id) === key('INBOX', lateId))).toHaveLength(1);

    // The users' own messages: found (carol's by preflight, alice's by her first pre-sync),
    // shown to the approvers, and never deleted: no pre-sync or final sync deleted anything.
    expect(await ownMailOnHost2()).toEqual({ carol: 1, alice: 1 });
    expect(report.audit.filter((e) => e.kind === 'own-mail-on-host2').map((e) => e.kind === 'own-mail-on-host2' && [e.mailbox, e.messages])).toEqual([
      ['carol', 1],
      ['alice', 1],
    ]);
    expect([report.mailboxes.carol.ownMailOnHost2, report.mailboxes.alice.ownMailOnHost2, report.mailboxes.bob.ownMailOnHost2]).toEqual([1, 1, undefined]);
    const beforeSwitch = report.rounds.filter((r) => r.kind === 'presync' || r.kind === 'final');
    expect(beforeSwitch.map((r) => `${r.kind} deleted ${r.deleted}`)).toEqual(beforeSwitch.map((r) => `${r.kind} deleted 0`));
  });
});
