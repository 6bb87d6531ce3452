// A whole mx-first migration with the REAL activities against real servers (two
// Dovecot, Knot, the MX hosts' Postfix, an SMTP receiver): mail sent through the MX
// before the switch lands on host1 and is back-filled; mail sent after it lands on host2;
// in the end every message is on host2 exactly once, and host1 still has all of its own.
import { Worker } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import * as activities from '../../activities';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { mxFirstMigration } from '../../workflows/mx-first-migration';
import { dig } from '../dns/dig';
import { approveWhenOpen, until, workflowBundle } from '../workflows/harness';
import { isCanary, messages, startRealWorld, type RealWorld, type SeenMessage } from './real-world';
import { noticesTo } from './received-notices';

jest.setTimeout(240_000);
let w: RealWorld;
beforeAll(async () => {
  w = await startRealWorld();
});
afterAll(() => w?.stop());

/** Sends one message through an MX host, as the world's servers would. */
async function send(host: string, port: number, to: string, id: string): Promise<void> {
  await nodemailer
    .createTransport({ host, port, secure: false, ignoreTLS: true, logger: false })
    .sendMail({ from: 'someone@elsewhere.test', to, subject: `mail ${id}`, text: 'hello', messageId: id });
}

/** Waits until `server` holds a message with this Message-ID for `user` (delivery is asynchronous). */
async function delivered(server: RealWorld['host1'], user: string, pass: string, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await messages(server, user, pass)).some((m) => m.id === id)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${id} never reached ${user}`);
}

it('switches the MX first, gives users host2 at once, back-fills their old mail, and leaves every message once on host2', async () => {
  const { host1, host2, mx, knot, smtp, env, passwords, servers } = w;
  const taskQueue = 'e2e-mx-first';
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const spec = demoSpec('mx-first', new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers);

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(mxFirstMigration, { taskQueue, workflowId: 'e2e-mx-first', args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await until(env, handle, (s) => s.openGate === 'switch-mx');
    // Before the switch: mail goes through mx1 to host1.
    const beforeId = '<before-switch@elsewhere.test>';
    await send(mx.mx1.host, mx.port, 'alice@example.test', beforeId);
    await delivered(host1, 'alice', passwords['host1-alice'], beforeId);
    expect((await messages(host2, 'alice', passwords['host2-alice'])).length).toBe(0); // nothing synced yet
    const onHost1 = Object.fromEntries(await Promise.all(demoUsers.map(async (u) => [u, await messages(host1, u, passwords[`host1-${u}`])] as const)));

    await approveWhenOpen(env, handle, 'switch-mx');
    const waiting = await until(env, handle, (s) => s.openGate === 'close-old');
    expect(waiting.rounds.filter((r) => r.kind === 'backfill').map((r) => r.failed)).toEqual([[], []]);
    // After the switch: mail goes through mx2 to host2, while host1 is still readable.
    const afterId = '<after-switch@elsewhere.test>';
    await send(mx.mx2.host, mx.port, 'bob@example.test', afterId);
    await delivered(host2, 'bob', passwords['host2-bob'], afterId);
    await approveWhenOpen(env, handle, 'close-old');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');

    const strip = (ms: SeenMessage[]) => ms.map(({ folder, id, flags, date, size }) => ({ folder, id, flags, date, size }));
    for (const u of demoUsers) {
      const onHost2 = (await messages(host2, u, passwords[`host2-${u}`])).filter((m) => !isCanary(m));
      const expected = u === 'bob' ? [...onHost1[u], ...onHost2.filter((m) => m.id === afterId)] : onHost1[u];
      expect(onHost2.filter((m) => m.id === afterId).length).toBe(u === 'bob' ? 1 : 0);
      // Every message of host1 (the mail sent before the switch included) and the new mail, each once.
      expect(strip(onHost2)).toEqual(strip(expected).sort((a, b) => `${a.folder}${a.id}`.localeCompare(`${b.folder}${b.id}`)));
      expect(new Set(onHost2.map((m) => `${m.folder}${m.id}`)).size).toBe(onHost2.length);
      // host1 is left as it was: nothing deleted there.
      expect(strip(await messages(host1, u, passwords[`host1-${u}`]))).toEqual(strip(onHost1[u]));
      expect(report.mailboxes[u].backfilled).toBe(onHost1[u].length);
    }
    expect(onHost1.alice.some((m) => m.id === beforeId)).toBe(true);

    const mxRecord = await dig(knot.port, 'example.test', 'MX');
    expect(mxRecord.values).toEqual([expect.stringMatching(/^10 mail2\.example\.test\.?$/)]);
    expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);
    for (const u of demoUsers) {
      expect(noticesTo(smtp, `${u}@home.example.test`).map((n) => n.subject)).toEqual([
        expect.stringMatching(/^Your email is moving to a new server on \w+day /),
        'Your new email settings',
        'Your email move is complete',
      ]);
    }
  });
});
