// The test harness's real servers: what every other integration test stands on.
import { ImapFlow } from 'imapflow';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Resolver } from 'node:dns/promises';
import nodemailer from 'nodemailer';
import { startDovecot, type DovecotServer } from '../../scripts/servers/dovecot';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { startSmtpReceiver } from '../../scripts/servers/smtp';
import { isAlive } from '../../scripts/servers/process';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'mailshift-harness-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function folders(server: DovecotServer, user: string, pass: string): Promise<{ paths: string[]; delimiter: string }> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    const list = await client.list();
    return { paths: list.map((m) => m.path).sort(), delimiter: list[0].delimiter };
  } finally {
    await client.logout();
  }
}

describe('Dovecot pair: the classic migration mismatch', () => {
  let host1: DovecotServer;
  let host2: DovecotServer;
  beforeAll(async () => {
    const users = [{ user: 'alice', password: 'alice-secret' }];
    host1 = await startDovecot({ name: 'host1', dir: freshDir(), layout: 'inbox-prefix-dot', users, masters: [{ user: 'admin', password: 'admin-secret' }] });
    host2 = await startDovecot({ name: 'host2', dir: freshDir(), layout: 'slash-no-prefix', users });
  });
  afterAll(async () => {
    await host1?.stop();
    await host2?.stop();
  });

  it('host1 has the INBOX. prefix and "." separator, host2 "/" and no prefix', async () => {
    expect(host1.port).not.toBe(host2.port);
    const one = await folders(host1, 'alice', 'alice-secret');
    const two = await folders(host2, 'alice', 'alice-secret');
    expect(one.delimiter).toBe('.');
    expect(one.paths).toEqual(['INBOX', 'INBOX.Drafts', 'INBOX.Junk', 'INBOX.Sent', 'INBOX.Trash']);
    expect(two.delimiter).toBe('/');
    expect(two.paths).toEqual(['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
  });

  it('refuses a wrong password, and lets the master user in as user*master', async () => {
    await expect(folders(host1, 'alice', 'wrong')).rejects.toThrow();
    expect((await folders(host1, 'alice*admin', 'admin-secret')).paths).toContain('INBOX.Sent');
  });

  it('adds users while running and stops by PID', async () => {
    host2.addUser({ user: 'bob', password: 'bob-secret' });
    expect((await folders(host2, 'bob', 'bob-secret')).paths).toContain('INBOX');
    const server = await startDovecot({ name: 'short', dir: freshDir(), layout: 'slash-no-prefix', users: [] });
    const pid = server.pid()!;
    expect(isAlive(pid)).toBe(true);
    await server.stop();
    expect(isAlive(pid)).toBe(false);
  });
});

describe('Knot: zone example.test with TSIG-signed updates', () => {
  let knot: KnotServer;
  let resolver: Resolver;
  beforeAll(async () => {
    knot = await startKnot({ dir: freshDir(), zone: 'example.test', records: 'mail1 3600 IN A 127.0.0.1\n@ 3600 IN MX 10 mail1' });
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${knot.port}`]);
  });
  afterAll(() => knot?.stop());

  const nsupdate = (keyFile: string, commands: string) => {
    const script = `server 127.0.0.1 ${knot.port}\nzone example.test\n${commands}\nsend\n`;
    return spawnSync('nsupdate', ['-k', keyFile], { input: script, encoding: 'utf8' });
  };

  it('serves the zone', async () => {
    expect(await resolver.resolveMx('example.test')).toEqual([{ exchange: 'mail1.example.test', priority: 10 }]);
  });

  it('applies an update signed with its key', async () => {
    const r = nsupdate(knot.keyFile, 'update add mail2.example.test. 300 IN A 127.0.0.2');
    expect(r.status).toBe(0);
    expect(await resolver.resolve4('mail2.example.test')).toEqual(['127.0.0.2']);
  });

  it('refuses an update signed with another key', async () => {
    const wrong = path.join(freshDir(), 'wrong.key');
    writeFileSync(wrong, `key "${knot.key.name}" {\n  algorithm hmac-sha256;\n  secret "${Buffer.alloc(32, 7).toString('base64')}";\n};\n`);
    const r = nsupdate(wrong, 'update add evil.example.test. 300 IN A 10.6.6.6');
    expect(r.status).not.toBe(0);
    await expect(resolver.resolve4('evil.example.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('SMTP receiver', () => {
  it('receives and parses mail, and saves it as .eml when asked', async () => {
    const saveDir = freshDir();
    const smtp = await startSmtpReceiver({ saveDir });
    const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ from: 'mailshift@example.test', to: 'alice@example.test', subject: 'Your mailbox moves', text: 'Tonight.' });
      const [mail] = await smtp.waitForCount(1);
      expect(mail.envelope).toEqual({ from: 'mailshift@example.test', to: ['alice@example.test'] });
      expect(mail.parsed.subject).toBe('Your mailbox moves');
      expect(spawnSync('ls', [saveDir], { encoding: 'utf8' }).stdout).toMatch(/\.eml$/m);
    } finally {
      transport.close();
      await smtp.close();
    }
  });
});
