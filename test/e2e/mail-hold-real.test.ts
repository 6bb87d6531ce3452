// A classical migration with mailFlow.hold and the REAL activities against real servers
// (two Dovecot, Knot, the MX hosts' Postfix): mail sent by SMTP to host1's MTA while a
// wave's mail is held must end on host2 exactly once: none bounced, none on host1, none
// left in a queue. The mail is sent right after the real holdMail has put the hold in place.
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import * as activities from '../../activities';
import type { MailHoldInput } from '../../activities/mail-flow/hold-schema';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveWhenOpen, workflowBundle } from '../workflows/harness';
import { messages, startRealWorld, type RealWorld } from './real-world';

jest.setTimeout(240_000);
let w: RealWorld;
beforeAll(async () => {
  w = await startRealWorld();
});
afterAll(() => w?.stop());

it("holds each wave's mail during its cut-over and delivers it to host2 exactly once", async () => {
  const { host1, host2, mx, env, passwords, servers } = w;
  const sent: string[] = [];
  const send = async (to: string) => {
    const id = `<held-${sent.length + 1}@mail-hold.test>`;
    await nodemailer
      .createTransport({ host: mx.mx1.host, port: mx.port, secure: false, ignoreTLS: true, logger: false })
      .sendMail({ from: 'someone@elsewhere.test', to, subject: 'sent during the hold', text: 'hello', messageId: id });
    sent.push(id);
  };
  const holdThenSend = async (input: MailHoldInput) => {
    const report = await activities.holdMail(input);
    for (const to of input.addresses) await send(to);
    return report;
  };
  const taskQueue = 'e2e-mail-hold';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...activities, holdMail: holdThenSend },
  });
  const hold = { provider: 'postfix' as const, configDir: w.mx.mx1.configDir, host2Transport: `lmtp:inet:127.0.0.1:${host2.lmtpPort}` };
  const spec = { ...demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers), mailFlow: { hold } };

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue, workflowId: 'e2e-mail-hold', args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.mailHold).toEqual({ 'friendly-users': { held: 0, released: true }, everyone: { held: 0, released: true } });
    expect(report.audit.filter((e) => e.kind === 'mail-hold').map((e) => `${e.step} ${e.wave} ${e.held}`)).toEqual([
      'hold friendly-users 0',
      'release to host2 friendly-users 1',
      'hold everyone 0',
      'release to host2 everyone 2',
    ]);
  });

  expect(sent).toHaveLength(demoUsers.length);
  for (const [i, u] of demoUsers.entries()) {
    const ids = (ms: { id: string }[]) => ms.map((m) => m.id).filter((id) => id.includes('@mail-hold.test'));
    expect(ids(await messages(host2, u, passwords[`host2-${u}`]))).toEqual([sent[i]]);
    expect(ids(await messages(host1, `${u}*admin`, passwords['host1-admin']))).toEqual([]);
  }
  expect(execFileSync('postqueue', ['-c', mx.mx1.configDir, '-j'], { encoding: 'utf8' }).trim()).toBe('');
  expect(readFileSync(mx.mx1.logFile, 'utf8')).not.toMatch(/status=bounced/);
});
