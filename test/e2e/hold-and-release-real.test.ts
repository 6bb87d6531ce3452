// Scenario hold-and-release with the REAL activities against real servers (two Dovecot,
// Knot, mx1 and mx2, the holding relay's Postfix): mail sent in every phase ends on host2
// exactly once. Before the cut-over it is in host1 (the syncs copy it); during the hold,
// some still reaches mx1 (servers with the old MX cached: the final sync comes after the
// TTL wait) and the rest the relay (held, released to host2); right after the release,
// mail reaching the relay goes straight to host2; after the MX switch, mx2 (the canary).
import { Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import * as activities from '../../activities';
import type { RelayInput, RelayReleaseInput } from '../../activities/mail-flow/hold-schema';
import type { PostfixServer } from '../../scripts/servers/postfix';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { holdAndReleaseMigration } from '../../workflows/hold-and-release-migration';
import { approveWhenOpen, workflowBundle } from '../workflows/harness';
import { isCanary, messages, startRealWorld, type RealWorld } from './real-world';

jest.setTimeout(240_000);
let w: RealWorld;
beforeAll(async () => {
  w = await startRealWorld({ holdingRelay: true });
});
afterAll(() => w?.stop());

it('delivers mail sent in every phase to host2 exactly once, and the relay ends empty', async () => {
  const { host1, host2, mx, env, passwords, servers } = w;
  const relayMta = mx.relay!;
  const sent: Record<string, string[]> = Object.fromEntries(demoUsers.map((u) => [u, []]));
  const send = async (via: PostfixServer, phase: string) => {
    for (const u of demoUsers) {
      const id = `<${phase}-${u}@hold-and-release.test>`;
      await nodemailer
        .createTransport({ host: via.host, port: mx.port, secure: false, ignoreTLS: true, logger: false })
        .sendMail({ from: 'someone@elsewhere.test', to: `${u}@example.test`, subject: phase, text: 'hello', messageId: id });
      sent[u].push(id);
    }
  };
  const taskQueue = 'e2e-hold-and-release';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      holdDomainMail: async (input: RelayInput) => {
        const report = await activities.holdDomainMail(input);
        await send(relayMta, 'held-on-relay');
        await send(mx.mx1, 'late-on-host1');
        return report;
      },
      releaseDomainMail: async (input: RelayReleaseInput) => {
        const report = await activities.releaseDomainMail(input);
        await send(relayMta, 'after-release');
        return report;
      },
    },
  });
  const holdingRelay = {
    mx: ['10 hold.example.test.'],
    relay: {
      provider: 'postfix' as const,
      configDir: relayMta.configDir,
      host1Transport: `lmtp:inet:127.0.0.1:${host1.lmtpPort}`,
      host2Transport: `lmtp:inet:127.0.0.1:${host2.lmtpPort}`,
    },
    host1Queue: { provider: 'postfix' as const, configDir: mx.mx1.configDir },
  };
  const base = demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers);
  const spec = { ...base, name: 'e2e-hold-and-release', scenario: 'hold-and-release' as const, mailFlow: { ...base.mailFlow, holdingRelay } };

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(holdAndReleaseMigration, { taskQueue, workflowId: 'e2e-hold-and-release', args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await send(mx.mx1, 'before-cutover');
    await approveWhenOpen(env, handle, 'cutover');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.relayHold).toEqual({ held: 0, released: 'host2' });
    expect(report.audit.filter((e) => e.kind === 'holding-relay').map((e) => `${e.step} ${e.held}`)).toEqual([
      'hold 0',
      `release to host2 ${demoUsers.length}`,
    ]);
    expect(report.audit.some((e) => e.kind === 'canary' && e.outcome === 'on-host2')).toBe(true);
  });

  for (const u of demoUsers) {
    const ids = (ms: { id: string }[]) => ms.map((m) => m.id).filter((id) => id.endsWith('@hold-and-release.test>'));
    const onHost2 = await messages(host2, u, passwords[`host2-${u}`]);
    expect(ids(onHost2).sort()).toEqual([...sent[u]].sort());
    expect(onHost2.filter(isCanary).length).toBeLessThanOrEqual(1);
    // host1 keeps only what reached it before the MX left (the syncs copy, never move).
    expect(ids(await messages(host1, `${u}*admin`, passwords['host1-admin'])).sort()).toEqual([
      `<before-cutover-${u}@hold-and-release.test>`,
      `<late-on-host1-${u}@hold-and-release.test>`,
    ]);
  }
  for (const m of [relayMta, mx.mx1, mx.mx2]) {
    expect(execFileSync('postqueue', ['-c', m.configDir, '-j'], { encoding: 'utf8' }).trim()).toBe('');
    expect(readFileSync(m.logFile, 'utf8')).not.toMatch(/status=bounced/);
  }
});
