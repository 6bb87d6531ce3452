// The real servers of an end-to-end migration: host1 and host2 Dovecot (host1 seeded
// with the demo mailboxes, an admin master user), Knot serving the demo zone, the MX
// hosts' Postfix (mx1 → host1, mx2 → host2; on request the holding relay, hold → host1 until
// released), an SMTP receiver for notices, passwords in
// files, and the time-skipping Temporal server.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ImapFlow } from 'imapflow';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { startMxPair, type MxPair } from '../../scripts/servers/mx-pair';
import { startSmtpReceiver, type SmtpReceiver } from '../../scripts/servers/smtp';
import { demoUsers, seedDemoMailbox } from '../../scripts/sandbox/demo-mailboxes';
import type { DemoServers } from '../../scripts/sandbox/demo-spec';
import { demoZoneRecords, mxAddresses } from '../../scripts/sandbox/layout';
import { createLocalEnv, createTimeSkippingEnv } from '../harness/temporal';

export interface RealWorld {
  host1: DovecotServer;
  host2: DovecotServer;
  knot: KnotServer;
  mx: MxPair;
  smtp: SmtpReceiver;
  env: TestWorkflowEnvironment;
  passwords: Record<string, string>;
  /** For demoSpec(scenario, migrationAt, servers). */
  servers: DemoServers;
  stop(): Promise<void>;
}

export interface RealWorldOptions {
  /** The time-skipping test server (default), or a real dev server where time runs. */
  temporal?: 'time-skipping' | 'dev-server';
  /** The demo zone's records (default: the sandbox's demo zone). */
  zoneRecords?: string;
  /** Also the holding relay of scenario hold-and-release (mx.relay, hold.example.test on 127.0.0.3). */
  holdingRelay?: boolean;
}

export async function startRealWorld(options: RealWorldOptions = {}): Promise<RealWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-e2e-'));
  chmodSync(dir, 0o755); // Dovecot's auth process and Postfix (other users) work below it
  const secretsDir = path.join(dir, 'secrets');
  mkdirSync(secretsDir, { mode: 0o700 });
  const passwords: Record<string, string> = { 'host1-admin': 'Adm1n-Secret-9f3' };
  for (const u of demoUsers) {
    passwords[`host1-${u}`] = `h1-${u}-Pw-71c`;
    passwords[`host2-${u}`] = `h2-${u}-Pw-0ab`;
  }
  for (const [name, value] of Object.entries(passwords)) writeFileSync(path.join(secretsDir, name), `${value}\n`, { mode: 0o600 });
  const users = (side: string) => demoUsers.map((user) => ({ user, password: passwords[`${side}-${user}`] }));
  const host1 = await startDovecot({
    name: 'host1',
    dir: path.join(dir, 'host1'),
    layout: 'inbox-prefix-dot',
    users: users('host1'),
    masters: [{ user: 'admin', password: passwords['host1-admin'] }],
    lmtp: true,
  });
  const host2 = await startDovecot({ name: 'host2', dir: path.join(dir, 'host2'), layout: 'slash-no-prefix', users: users('host2'), lmtp: true });
  for (const u of demoUsers) await seedDemoMailbox(host1, u, passwords[`host1-${u}`]);
  const records = (options.zoneRecords ?? demoZoneRecords) + (options.holdingRelay ? `hold 600 IN A ${mxAddresses.hold}\n` : '');
  const knot = await startKnot({ dir: path.join(dir, 'dns'), zone: 'example.test', records });
  const mx = await startMxPair({
    dir,
    domains: ['example.test'],
    mx1: { address: mxAddresses.mail1, lmtpPort: host1.lmtpPort! },
    mx2: { address: mxAddresses.mail2, lmtpPort: host2.lmtpPort! },
    ...(options.holdingRelay && { relay: { address: mxAddresses.hold, lmtpPort: host1.lmtpPort! } }),
  });
  const smtp = await startSmtpReceiver();
  const env = options.temporal === 'dev-server' ? await createLocalEnv() : await createTimeSkippingEnv();
  const servers: DemoServers = {
    host1Port: host1.port,
    host2Port: host2.port,
    host1Dir: host1.dir,
    dnsPort: knot.port,
    tsigKeyFile: knot.keyFile,
    smtpPort: smtp.port,
    mxPort: mx.port,
    secretsDir,
  };
  return {
    host1,
    host2,
    knot,
    mx,
    smtp,
    env,
    passwords,
    servers,
    async stop() {
      await env.teardown();
      await smtp.close();
      await mx.stop();
      await knot.stop();
      await host1.stop();
      await host2.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SeenMessage {
  folder: string;
  id: string;
  flags: string[];
  date: number;
  size: number;
}

/** Every message of a mailbox by logical folder, with what must survive a migration. */
export async function messages(server: DovecotServer, user: string, pass: string): Promise<SeenMessage[]> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    const found: { folder: string; id: string; flags: string[]; date: number; size: number }[] = [];
    for (const box of await client.list()) {
      if (box.flags.has('\\Noselect') || box.flags.has('\\NonExistent')) continue;
      const lock = await client.getMailboxLock(box.path).catch((e: Error) => {
        throw new Error(`${user}: cannot open ${box.path} (${[...box.flags].join(' ')}): ${e.message}`);
      });
      try {
        for await (const m of client.fetch('1:*', { envelope: true, flags: true, internalDate: true, size: true })) {
          const folder = box.path.replace(/^INBOX\./, '').replace(/\./g, '/');
          found.push({
            folder,
            id: m.envelope?.messageId ?? `(none) ${m.envelope?.subject}`,
            flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
            date: new Date(m.internalDate!).getTime(),
            size: m.size!,
          });
        }
      } catch {
        // an empty folder has no 1:*
      } finally {
        lock.release();
      }
    }
    return found.sort((a, b) => `${a.folder}${a.id}`.localeCompare(`${b.folder}${b.id}`));
  } finally {
    await client.logout();
  }
}

/** The runbook's canary (workflows/canary.ts), told apart from the users' mail. */
export const isCanary = (m: SeenMessage) => m.id.startsWith('<canary-');

export const canLogIn = async (server: DovecotServer, user: string, pass: string) => {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false });
  try {
    await client.connect();
    await client.logout();
    return true;
  } catch {
    return false;
  }
};
