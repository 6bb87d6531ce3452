// `npm run bench:sync`: mailshift against its peers on the same mail, in one run, on
// Dovecot instances of its own (a temporary directory, loopback ports). Profiles:
//   (default)  the corpus (--messages N, default 10,000) on loopback, every peer
//              (profile-corpus.ts, then imapsync: profile-imapsync.ts), then an unchanged
//              small mailbox's whole re-sync (profile-fixed-cost.ts, --mailboxes N, default 200);
//   --wan      the corpus with host1 behind Toxiproxy: --latency MS each way (default 20),
//              --mbit N per connection and direction (default 100); imapsync copies one
//              folder there, beside mailshift;
//   --no-peers leaves mbsync, dsync and imapsync out of the corpus profiles (the bare copier stays);
//   --huge     one INBOX of --huge-messages N small messages (default 200,000)
//              (profile-huge.ts); there --no-peers leaves its bare copier and mbsync out.
// Every figure is printed with its target and PASS/MISS, and the run ends with the
// table of them all. --keep leaves the servers' directory.
// A script, not a test: figures vary with the machine and the shared disk.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDovecot, type DovecotServer } from '../servers/dovecot';
import { corpusProfile, HOST2_USERS } from './profile-corpus';
import { fixedCostProfile } from './profile-fixed-cost';
import { hugeProfile } from './profile-huge';
import { imapsyncProfile } from './profile-imapsync';
import { Report } from './report';
import { startToxiproxy, type Toxiproxy } from './toxiproxy';

const numberArg = (argv: string[], name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};

async function main(argv: string[]): Promise<void> {
  const keep = argv.includes('--keep');
  const wan = argv.includes('--wan');
  const huge = argv.includes('--huge');
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-bench-'));
  // Dovecot's login and mail processes run as other users: they must traverse it.
  chmodSync(dir, 0o755);
  const secret = () => randomBytes(12).toString('hex');
  const host1Password = secret();
  const host2Passwords = Object.fromEntries(HOST2_USERS.map((user) => [user, secret()]));
  const passwordFile = (side: 'host1' | 'host2', user: string) => path.join(dir, `pw-${side}-${user}`);
  writeFileSync(passwordFile('host1', 'bench'), host1Password, { mode: 0o600 });
  for (const [user, password] of Object.entries(host2Passwords)) writeFileSync(passwordFile('host2', user), password, { mode: 0o600 });
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const report = new Report(log);
  log(`bench dir ${dir}`);
  const servers: DovecotServer[] = [];
  let proxy: Toxiproxy | undefined;
  try {
    const host1 = await startDovecot({
      name: 'host1',
      dir: path.join(dir, 'host1'),
      layout: 'inbox-prefix-dot',
      users: [{ user: 'bench', password: host1Password }],
      // COMPRESS offered by host1z below only: mbsync turns it on whenever offered.
      compress: false,
    });
    servers.push(host1);
    const host2 = await startDovecot({
      name: 'host2',
      dir: path.join(dir, 'host2'),
      layout: 'slash-no-prefix',
      compress: false,
      users: Object.entries(host2Passwords).map(([user, password]) => ({ user, password })),
    });
    servers.push(host2);
    const common = { dir, host1, host2, host1Password, host2Passwords, passwordFile, report, log };
    if (huge) {
      await hugeProfile({ ...common, messages: numberArg(argv, '--huge-messages', 200_000), peers: !argv.includes('--no-peers') });
    } else {
      // host1's mail served a second time, offering COMPRESS=DEFLATE (mbsync turns it on whenever offered).
      const host1Compress = await startDovecot({
        name: 'host1z',
        dir: path.join(dir, 'host1z'),
        layout: 'inbox-prefix-dot',
        users: [{ user: 'bench', password: host1Password }],
        compress: true,
        mailDir: path.join(host1.dir, 'mail'),
      });
      servers.push(host1Compress);
      let endpoints = { host1Plain: { host: host1.host, port: host1.port }, host1Compress: { host: host1Compress.host, port: host1Compress.port } };
      let profile = 'loopback';
      if (wan) {
        const latencyMs = numberArg(argv, '--latency', 20);
        const mbitPerS = numberArg(argv, '--mbit', 100);
        proxy = await startToxiproxy({ latencyMs, mbitPerS });
        endpoints = { host1Plain: await proxy.proxy('host1', endpoints.host1Plain), host1Compress: await proxy.proxy('host1z', endpoints.host1Compress) };
        profile = `wan ${2 * latencyMs} ms RTT, ${mbitPerS} Mbit/s`;
        log(`host1 behind Toxiproxy: ${latencyMs} ms each way, ${mbitPerS} Mbit/s per connection and direction`);
      }
      const setup = { ...common, ...endpoints, messages: numberArg(argv, '--messages', 10_000), profile, wan, peers: !argv.includes('--no-peers') };
      const corpus = await corpusProfile(setup);
      if (setup.peers) await imapsyncProfile(setup, corpus);
      if (!wan) await fixedCostProfile({ dir, report, log, mailboxes: numberArg(argv, '--mailboxes', 200) });
    }
    log('');
    log(report.table());
  } finally {
    proxy?.stop();
    await Promise.allSettled(servers.map((s) => s.stop()));
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench:sync failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
