// A whole classical migration with the REAL activities against real servers: two
// Dovecot (host1 `INBOX.`/`.`, host2 `/`), Knot taking TSIG updates, an SMTP receiver.
// Temporal's time-skipping server skips the TTL waits and the days of pre- and
// post-syncs; every IMAP, DNS, SMTP and deny-list operation happens for real.
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ImapFlow } from 'imapflow';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as activities from '../../activities';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { startSmtpReceiver, type SmtpReceiver } from '../../scripts/servers/smtp';
import { demoUsers, seedDemoMailbox } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { demoZoneRecords } from '../../scripts/sandbox/layout';
import { classicalMigration } from '../../workflows/classical-migration';
import { dig } from '../dns/dig';
import { createTimeSkippingEnv } from '../harness/temporal';
import { approveWhenOpen, workflowBundle } from '../workflows/harness';

jest.setTimeout(240_000);

const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-e2e-'));
const secretsDir = path.join(dir, 'secrets');
const passwords: Record<string, string> = { 'host1-admin': 'Adm1n-Secret-9f3' };
for (const u of demoUsers) {
  passwords[`host1-${u}`] = `h1-${u}-Pw-71c`;
  passwords[`host2-${u}`] = `h2-${u}-Pw-0ab`;
}
let host1: DovecotServer;
let host2: DovecotServer;
let knot: KnotServer;
let smtp: SmtpReceiver;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  chmodSync(dir, 0o755); // Dovecot's auth process (another user) reads host1/users below it
  mkdirSync(secretsDir, { mode: 0o700 });
  for (const [name, value] of Object.entries(passwords)) writeFileSync(path.join(secretsDir, name), `${value}\n`, { mode: 0o600 });
  const users = (side: string) => demoUsers.map((user) => ({ user, password: passwords[`${side}-${user}`] }));
  host1 = await startDovecot({ name: 'host1', dir: path.join(dir, 'host1'), layout: 'inbox-prefix-dot', users: users('host1'), masters: [{ user: 'admin', password: passwords['host1-admin'] }] });
  host2 = await startDovecot({ name: 'host2', dir: path.join(dir, 'host2'), layout: 'slash-no-prefix', users: users('host2') });
  for (const u of demoUsers) await seedDemoMailbox(host1, u, passwords[`host1-${u}`]);
  knot = await startKnot({ dir: path.join(dir, 'dns'), zone: 'example.test', records: demoZoneRecords });
  smtp = await startSmtpReceiver();
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
  await smtp?.close();
  await knot?.stop();
  await host1?.stop();
  await host2?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function messages(server: DovecotServer, user: string, pass: string) {
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
          found.push({ folder, id: m.envelope?.messageId ?? `(none) ${m.envelope?.subject}`, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), date: new Date(m.internalDate!).getTime(), size: m.size! });
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

const canLogIn = async (server: DovecotServer, user: string, pass: string) => {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false });
  try {
    await client.connect();
    await client.logout();
    return true;
  } catch {
    return false;
  }
};

it('moves every mailbox, switches the MX, locks users out of host1 and tells everyone', async () => {
  const before = Object.fromEntries(await Promise.all(demoUsers.map(async (u) => [u, await messages(host1, u, passwords[`host1-${u}`])] as const)));
  expect(before.alice.length).toBe(8);

  const taskQueue = 'e2e-classical';
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const servers = { host1Port: host1.port, host2Port: host2.port, host1Dir: host1.dir, dnsPort: knot.port, tsigKeyFile: knot.keyFile, smtpPort: smtp.port, secretsDir };
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers);

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue, workflowId: 'e2e-classical', args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    expect(await canLogIn(host1, 'bob', passwords['host1-bob'])).toBe(true); // wave 2 not cut yet
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    await approveWhenOpen(env, handle, 'switch-mx');
    const report = await handle.result();

    expect(report.outcome).toBe('completed');
    expect(report.rounds.flatMap((r) => r.failed)).toEqual([]);

    // Every message on host2, with its flags and date, exactly once.
    for (const u of demoUsers) {
      const copied = await messages(host2, u, passwords[`host2-${u}`]);
      const strip = (ms: typeof copied) => ms.map(({ folder, id, flags, date, size }) => ({ folder, id, flags, date, size }));
      expect(strip(copied)).toEqual(strip(before[u]));
    }

    // DNS: the MX points to host2 and the TTL is back to its long value.
    const mx = await dig(knot.port, 'example.test', 'MX');
    expect(mx).toMatchObject({ ttl: 86400, values: [expect.stringMatching(/^10 mail2\.example\.test\.?$/)] });
    expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);

    // Users are locked out of host1; the admin still gets in.
    for (const u of demoUsers) expect(await canLogIn(host1, u, passwords[`host1-${u}`])).toBe(false);
    expect(await canLogIn(host1, 'alice*admin', passwords['host1-admin'])).toBe(true);

    // The notices really went out; each user's credentials notice names their own login, never a password.
    const subjects = smtp.received.map((m) => m.parsed.subject ?? '');
    expect(subjects.length).toBeGreaterThanOrEqual(10);
    const credentials = smtp.received.filter((m) => m.envelope.to.length === 1 && /alice@home/.test(m.envelope.to[0]) && /user name|login|credentials/i.test(m.parsed.text ?? ''));
    expect(credentials.length).toBeGreaterThanOrEqual(1);
    const allMail = smtp.received.map((m) => m.raw.toString()).join('\n');
    const history = JSON.stringify(await handle.fetchHistory());
    for (const secret of [...Object.values(passwords), knot.key.secret]) {
      expect(allMail).not.toContain(secret);
      expect(history).not.toContain(secret);
    }
  });
});
