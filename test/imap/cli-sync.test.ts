// `mailshift sync` (scripts/cli/sync.ts) against the real Dovecot pair: imapsync-like
// options, --justverify, --dry, --state (the no-change re-run skips every folder), the
// progress line, and the documented exit codes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { progressLine, syncCommand, SYNC_EXIT, type SyncCliIo } from '../../scripts/cli/sync';
import type { SyncResult, SyncState, VerifyResult } from '../../activities/imap/types';
import { freePort } from '../../scripts/servers/process';
import { buildCorpus, fingerprints, makeMessage, connect, readMailbox, seedMailbox } from './corpus';
import { startHosts, type Hosts } from './hosts';
import { appendMessages } from '../../activities/imap/multiappend';
import { startImapProxy } from '../harness/imap-proxy';

jest.setTimeout(60_000);

const corpus = buildCorpus({ large: false });
let hosts: Hosts;
let dir: string;

interface Captured extends SyncCliIo {
  stdout: string[];
  stderr: string[];
  drawn: string[];
}
function capture(progress = false): Captured {
  const io: Captured = {
    stdout: [],
    stderr: [],
    drawn: [],
    out: (t) => io.stdout.push(t),
    err: (t) => io.stderr.push(t),
    progress,
    writeProgress: (t) => io.drawn.push(t),
  };
  return io;
}

/** The pair's options for `user`, host1 → host2, plain IMAP on loopback. */
function pairArgs(user: string): string[] {
  const u = hosts.users[user];
  return [
    '--host1',
    hosts.host1.host,
    '--port1',
    String(hosts.host1.port),
    '--tls1',
    'none',
    '--user1',
    user,
    '--password1-ref',
    u.host1.credential,
    '--host2',
    hosts.host2.host,
    '--port2',
    String(hosts.host2.port),
    '--tls2',
    'none',
    '--user2',
    user,
    '--password2-ref',
    u.host2.credential,
  ];
}

async function run(args: string[], progress = false): Promise<{ code: number; io: Captured }> {
  const io = capture(progress);
  const code = await syncCommand(args, io);
  const text = [...io.stdout, ...io.stderr, ...io.drawn].join('\n');
  for (const u of Object.values(hosts.users)) {
    expect(text).not.toContain(u.host1.password);
    expect(text).not.toContain(u.host2.password);
  }
  return { code, io };
}
const json = <T>(io: Captured) => JSON.parse(io.stdout.join('\n')) as T;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-cli-'));
  hosts = await startHosts(['nina', 'omar', 'pia', 'quinn']);
  for (const user of ['nina', 'omar', 'pia', 'quinn']) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('usage', () => {
  it('--help prints the options and the exit codes', async () => {
    const { code, io } = await run(['--help']);
    expect(code).toBe(SYNC_EXIT.ok);
    expect(io.stdout.join('\n')).toMatch(/--password1-ref[\s\S]*exit codes: 0 ok, 1 differences/);
  });

  it('missing, unknown or malformed options are usage errors (2), before any connection', async () => {
    const base = pairArgs('nina');
    expect((await run(base.filter((a, i) => a !== '--host2' && base[i - 1] !== '--host2'))).code).toBe(SYNC_EXIT.usage);
    expect((await run([...base, '--frobnicate'])).code).toBe(SYNC_EXIT.usage);
    expect((await run([...base, '--maxage', 'soon'])).code).toBe(SYNC_EXIT.usage);
    expect((await run([...base, '--tls1', 'ssl3'])).code).toBe(SYNC_EXIT.usage);
    expect((await run([...base, '--exclude', '(unclosed'])).code).toBe(SYNC_EXIT.usage);
    expect((await run([...base, '--justverify', '--delete2'])).code).toBe(SYNC_EXIT.usage);
    // A password where a reference belongs is refused, and not echoed.
    const bad = await run(base.map((a) => (a === hosts.users.nina.host1.credential ? 'hunter2-literal' : a)));
    expect(bad.code).toBe(SYNC_EXIT.usage);
    expect(bad.io.stderr.join('\n')).toContain('must be a reference');
    expect(bad.io.stderr.join('\n')).not.toContain('hunter2-literal');
  });
});

describe('a mailbox pair', () => {
  it('--justverify before the sync finds everything missing (exit 1); --dry changes nothing', async () => {
    const verify = await run([...pairArgs('nina'), '--justverify', '--json']);
    expect(verify.code).toBe(SYNC_EXIT.differences);
    expect(json<VerifyResult>(verify.io)).toMatchObject({ ok: false, missing: corpus.length });
    const dry = await run([...pairArgs('nina'), '--dry', '--json']);
    expect(dry.code).toBe(SYNC_EXIT.ok);
    expect(json<SyncResult>(dry.io).totals.copied).toBe(corpus.length);
    expect(await readMailbox(hosts.host2, 'nina', hosts.users.nina.host2.password)).toHaveLength(0);
  });

  it('syncs with a progress line and --state; the no-change re-run skips every folder; verify then passes', async () => {
    const stateFile = path.join(dir, 'nina.state.json');
    const first = await run([...pairArgs('nina'), '--state', stateFile, '--parallel', '1'], true);
    expect(first.code).toBe(SYNC_EXIT.ok);
    expect(first.io.stdout[0]).toMatch(new RegExp(`^copied ${corpus.length} messages`));
    const lines = first.io.drawn
      .join('')
      .split(/\r|\n/)
      .filter((l) => l.includes('folders'));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.some((l) => /copied \d+\/\d+ msgs .* MB\/s .*ETA \d+:\d\d/.test(l))).toBe(true);
    expect(first.io.drawn[first.io.drawn.length - 1]).toBe('\n');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SyncState;
    expect(state.folders.length).toBe(first.io.stdout.filter((l) => l.includes(' -> ')).length);

    const again = await run([...pairArgs('nina'), '--state', stateFile, '--json']);
    expect(again.code).toBe(SYNC_EXIT.ok);
    const result = json<SyncResult>(again.io);
    expect(result.totals.copied).toBe(0);
    expect(result.folders.every((f) => f.mode === 'unchanged')).toBe(true);

    const ok = await run([...pairArgs('nina'), '--justverify']);
    expect(ok.code).toBe(SYNC_EXIT.ok);
    expect(ok.io.stdout[0]).toMatch(/^host2 has everything: missing on host2 0/);
    const [one, two] = await Promise.all([
      readMailbox(hosts.host1, 'nina', hosts.users.nina.host1.password),
      readMailbox(hosts.host2, 'nina', hosts.users.nina.host2.password),
    ]);
    expect(fingerprints(two)).toEqual(fingerprints(one.map((m) => ({ ...m, folder: m.folder === 'Sent Items' ? 'Sent' : m.folder }))));
  });

  it('--folder, --maxage and --maxsize select what is copied', async () => {
    const { code, io } = await run([...pairArgs('omar'), '--folder', 'INBOX', '--folder', 'Archive/2024', '--maxsize', '1000', '--json']);
    expect(code).toBe(SYNC_EXIT.ok);
    const r = json<SyncResult>(io);
    expect(r.folders.map((f) => f.destination).sort()).toEqual(['Archive/2024', 'INBOX']);
    const expected = corpus.filter((m) => (m.folder === 'INBOX' || m.folder === 'Archive/2024') && m.raw.length <= 1000);
    expect(r.totals.copied).toBe(expected.length);
    const recent = await run([...pairArgs('pia'), '--maxage', '2', '--json']);
    expect(json<SyncResult>(recent.io).totals.copied).toBe(corpus.filter((m) => m.label.startsWith('recent-')).length);
  });

  it('--delete2 removes from host2 what host1 no longer has; --delete1 empties host1 of what host2 holds', async () => {
    const c = await connect(hosts.host2, 'omar', hosts.users.omar.host2.password);
    await c.append(
      'INBOX',
      makeMessage({ messageId: '<only-on-2@x>', subject: 'stray', date: new Date(2020, 1, 1), body: 'x' }),
      [],
      new Date('2020-02-01T00:00:00Z'),
    );
    await c.logout();
    const kept = await run([...pairArgs('omar'), '--folder', 'INBOX', '--json']);
    expect(json<SyncResult>(kept.io).totals.deletedOnDestination).toBe(0);
    const removed = await run([...pairArgs('omar'), '--folder', 'INBOX', '--delete2', '--json']);
    expect(json<SyncResult>(removed.io).totals.deletedOnDestination).toBe(1);

    const post = await run([...pairArgs('omar'), '--folder', 'Archive/2024', '--delete1', '--json']);
    expect(post.code).toBe(SYNC_EXIT.ok);
    expect(json<SyncResult>(post.io).totals.deletedOnSource).toBe(corpus.filter((m) => m.folder === 'Archive/2024').length);
    const host1 = await readMailbox(hosts.host1, 'omar', hosts.users.omar.host1.password);
    expect(host1.filter((m) => m.folder === 'Archive/2024')).toHaveLength(0);
    expect(host1.filter((m) => m.folder === 'INBOX').length).toBeGreaterThan(0);
  });
});

describe('the installed command', () => {
  it('bin/mailshift sync runs the engine from its bundle, rebuilt when a source is newer, with a code cache of that bundle only', async () => {
    const bin = path.join(__dirname, '../../bin/mailshift');
    const bundle = path.join(__dirname, '../../.build/mailshift-sync.js');
    // A bundle older than the sources is stale: the command rebuilds it before running.
    if (existsSync(bundle)) utimesSync(bundle, new Date(0), new Date(0));
    // A message over 4 KiB, and host2 behind a relay: the bundle's MULTIAPPEND must not wait
    // for the server's "+ OK" before it (LITERAL+, multiappend.ts), as under jest.
    const c = await connect(hosts.host1, 'quinn', hosts.users.quinn.host1.password);
    await appendMessages(
      c,
      'INBOX',
      [{ content: makeMessage({ messageId: '<big@q>', subject: 'big', date: new Date(0), body: 'q'.repeat(20_000) }), flags: [], internalDate: 0 }],
      {
        multiappend: false,
      },
    );
    await c.logout();
    const proxy = await startImapProxy(hosts.host2);
    const viaProxy = pairArgs('quinn').map((a) => (a === String(hosts.host2.port) ? String(proxy.port) : a));
    const first = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(bin, ['sync', ...viaProxy, '--json'], { env: process.env });
      const out = { stdout: '', stderr: '' };
      child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
      child.on('close', (status) => resolve({ status, ...out }));
    });
    await proxy.close();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(SYNC_EXIT.ok);
    expect((JSON.parse(first.stdout) as SyncResult).totals.copied).toBe(corpus.length + 1);
    expect(proxy.clientLines().filter((l) => / APPEND /.test(l)).length).toBeGreaterThan(0);
    expect(proxy.serverLines().filter((l) => l.startsWith('+ OK'))).toEqual([]);
    expect(statSync(bundle).mtimeMs).toBeGreaterThanOrEqual(statSync(path.join(__dirname, '../../scripts/cli/sync.ts')).mtimeMs);
    for (const u of Object.values(hosts.users)) expect(first.stdout).not.toContain(u.host2.password);

    const again = spawnSync(bin, ['sync', ...pairArgs('quinn'), '--json'], { encoding: 'utf8', env: process.env });
    expect(again.status).toBe(SYNC_EXIT.ok);
    expect((JSON.parse(again.stdout) as SyncResult).totals.copied).toBe(0);

    // The code cache (scripts/cli/sync-start.ts) is written for this very bundle; one from
    // another build, or one V8 refuses, is never used, and is replaced.
    const cache = `${bundle}.cache`;
    const digest = createHash('sha1').update(readFileSync(bundle)).digest();
    expect(readFileSync(cache).subarray(0, 20)).toEqual(digest);
    const stale = [Buffer.concat([randomBytes(20), readFileSync(cache).subarray(20)]), Buffer.concat([digest, randomBytes(4096)])];
    for (const content of stale) {
      writeFileSync(cache, content);
      const run = spawnSync(bin, ['sync', ...pairArgs('quinn'), '--json'], { encoding: 'utf8', env: process.env });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(SYNC_EXIT.ok);
      expect((JSON.parse(run.stdout) as SyncResult).totals.copied).toBe(0);
      const rewritten = readFileSync(cache);
      expect(rewritten.subarray(0, 20)).toEqual(digest);
      expect(rewritten.length).toBeGreaterThan(100_000);
    }
  });
});

describe('exit codes for failures', () => {
  it('a server that does not answer is 4; a wrong password is 3, naming the side', async () => {
    const port = String(await freePort());
    const unreachable = await run(pairArgs('nina').map((a) => (a === String(hosts.host2.port) ? port : a)));
    expect(unreachable.code).toBe(SYNC_EXIT.server);
    expect(unreachable.io.stderr.join('\n')).toMatch(/host2 .*cannot reach the server/);

    process.env.MAILSHIFT_TEST_CLI_WRONG = 'wrong-password-7c1e';
    const wrong = await run(pairArgs('nina').map((a) => (a === hosts.users.nina.host1.credential ? 'env:MAILSHIFT_TEST_CLI_WRONG' : a)));
    expect(wrong.code).toBe(SYNC_EXIT.config);
    expect(wrong.io.stderr.join('\n')).toMatch(/host1 mailbox nina .*login failed/);
    expect(wrong.io.stderr.join('\n')).not.toContain('wrong-password-7c1e');
  });
});

describe('progressLine', () => {
  it('shows counts, rate and an ETA from the bytes still to copy', () => {
    const line = progressLine(
      {
        mailbox: 'm',
        phase: 'messages',
        foldersDone: 1,
        foldersTotal: 2,
        copied: 50,
        toCopy: 100,
        bytesCopied: 10e6,
        bytesToCopy: 30e6,
        flagsUpdated: 0,
        deletedOnDestination: 0,
        deletedOnSource: 0,
      },
      10_000,
    );
    expect(line).toBe('folders 1/2  copied 50/100 msgs  10.0 MB  1.0 MB/s  flags 0  deleted 0  ETA 0:20');
  });
});
