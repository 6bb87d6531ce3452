// A classical and a lucky migration with mailFlow.hold and the REAL activities against real servers
// (two Dovecot, Knot, the MX hosts' Postfix): mail sent by SMTP in every phase (during the
// pre-syncs, while a wave's mail is held, during the low TTL's wait after the MX switch, to
// either MX as a cached or a fresh resolver would pick, and after the switch) must end on
// host2 exactly once: none bounced, none left in a queue, and none of what was sent once
// the hold began on host1. The held mail is sent right after the real holdMail has put the
// hold in place.
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import * as activities from '../../activities';
import type { MailHoldInput } from '../../activities/mail-flow/hold-schema';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { luckyMigration } from '../../workflows/lucky-migration';
import { statusQuery } from '../../workflows/status';
import { approveWhenOpen, until, workflowBundle } from '../workflows/harness';
import { messages, startRealWorld, type RealWorld } from './real-world';

jest.setTimeout(240_000);
let w: RealWorld;
// A world of its own for each migration: each changes DNS and the MTAs' maps.
beforeEach(async () => {
  w = await startRealWorld();
});
afterEach(() => w?.stop());

it.each(['classical', 'lucky'] as const)(
  "%s: delivers mail sent in every phase (pre-sync, each wave's hold, the low TTL's wait to either MX, after the switch) to host2 exactly once",
  async (scenario) => {
    const { host1, host2, mx, env, passwords, servers } = w;
    /** Message-IDs sent to each user, by phase. */
    const sent: Record<string, { phase: string; id: string }[]> = Object.fromEntries(demoUsers.map((u) => [u, []]));
    let n = 0;
    const send = async (to: string, phase: string, via: 'mx1' | 'mx2') => {
      const id = `<${phase}-${++n}@mail-hold.test>`;
      await nodemailer
        .createTransport({ host: mx[via].host, port: mx.port, secure: false, ignoreTLS: true, logger: false })
        .sendMail({ from: 'someone@elsewhere.test', to, subject: `sent ${phase}`, text: 'hello', messageId: id });
      sent[to.split('@')[0]].push({ phase, id });
    };
    const toEveryone = async (phase: string, via: 'mx1' | 'mx2') => {
      for (const u of demoUsers) await send(`${u}@example.test`, phase, via);
    };
    const holdThenSend = async (input: MailHoldInput) => {
      const report = await activities.holdMail(input);
      for (const to of input.addresses) await send(to, 'held', 'mx1');
      return report;
    };
    const taskQueue = `e2e-mail-hold-${scenario}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: { ...activities, holdMail: holdThenSend },
    });
    const hold = { provider: 'postfix' as const, configDir: w.mx.mx1.configDir, host2Transport: `lmtp:inet:127.0.0.1:${host2.lmtpPort}` };
    const spec = { ...demoSpec(scenario, new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers), mailFlow: { hold } };

    await worker.runUntil(async () => {
      const workflow = scenario === 'lucky' ? luckyMigration : classicalMigration;
      const handle = await env.client.workflow.start(workflow, { taskQueue, workflowId: `e2e-mail-hold-${scenario}`, args: [spec] });
      // Polls in real time: the time-skipping server skips no time meanwhile, so the low TTL's wait is caught.
      const inPhase = async (phase: string) => {
        while ((await handle.query(statusQuery)).phase !== phase) await new Promise((r) => setTimeout(r, 100));
      };
      await approveWhenOpen(env, handle, 'start');
      await until(env, handle, (s) => s.phase === 'pre-sync' && !!s.nextTimer);
      await toEveryone('presync', 'mx1');
      // Classical: a gate per wave; lucky: one for every wave (and the host name parked first).
      if (scenario === 'lucky') await approveWhenOpen(env, handle, 'cutover');
      else for (const wave of ['friendly-users', 'everyone']) await approveWhenOpen(env, handle, 'cutover', wave);
      await approveWhenOpen(env, handle, 'switch-mx');
      await inPhase('waiting the low TTL');
      await toEveryone('ttl-old-mx', 'mx1'); // a sender whose resolver still has the old MX
      await toEveryone('ttl-new-mx', 'mx2');
      if (scenario === 'lucky') await approveWhenOpen(env, handle, 'shutdown-old');
      await until(env, handle, (st) => st.phase === 'post-syncing until quiet');
      await toEveryone('after-switch', 'mx2');
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

    const bare = (id: string) => id.replace(/^<(.*)>$/, '$1');
    const ids = (ms: { id: string }[]) =>
      ms
        .map((m) => bare(m.id))
        .filter((id) => id.endsWith('@mail-hold.test'))
        .sort();
    for (const u of demoUsers) {
      expect(sent[u].map((m) => m.phase)).toEqual(['presync', 'held', 'ttl-old-mx', 'ttl-new-mx', 'after-switch']);
      // Each message once on host2, whatever the phase and the MX it went through.
      expect({ user: u, onHost2: ids(await messages(host2, u, passwords[`host2-${u}`])) }).toEqual({ user: u, onHost2: sent[u].map((m) => bare(m.id)).sort() });
      // On host1 only what reached it before the hold (the pre-sync's mail, copied, kept there).
      const onHost1 = ids(await messages(host1, `${u}*admin`, passwords['host1-admin']));
      expect(onHost1.every((id) => id.startsWith('presync-'))).toBe(true);
    }
    expect(execFileSync('postqueue', ['-c', mx.mx1.configDir, '-j'], { encoding: 'utf8' }).trim()).toBe('');
    expect(readFileSync(mx.mx1.logFile, 'utf8')).not.toMatch(/status=bounced/);
  },
);
