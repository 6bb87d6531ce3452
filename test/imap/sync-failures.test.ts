// What a workflow sees when things go wrong, and what it sees while things go right:
// failures typed for Temporal's retry policy (wrong password and missing mailbox are not
// retried, a network error is), named by side and mailbox and never carrying a secret;
// a full quota on host2 named with folder and sizes; heartbeats from inside an activity,
// kept going while a single APPEND crawls; a retryable failure's wait before the next
// attempt; cancellation between batches; a connection cut mid-folder redone over a new one
// and, cut again and again, resumed by the retry, both without duplicates.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { KEEPALIVE_MS } from '../../activities/keepalive';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncProgress, SyncRequest, SyncResult } from '../../activities/imap/types';
import { freePort } from '../../scripts/servers/process';
import { buildCorpus, fingerprints, readMailbox, seedMailbox } from './corpus';
import { startHosts, type Hosts } from './hosts';
import { seedBulk, startThrottle } from '../faults/world';

jest.setTimeout(120_000);

const corpus = buildCorpus();
let hosts: Hosts;

beforeAll(async () => {
  hosts = await startHosts(['gina', 'hank', 'ivan', 'jack', 'kate', 'lena', 'quinn'], { host2Quota: { quinn: '*:storage=200K' } });
  for (const user of ['hank', 'ivan', 'jack', 'lena', 'quinn']) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
});

/** Every string a failure carries to Temporal (message, stack, details, cause). */
function everything(err: unknown): string {
  const e = err as ApplicationFailure;
  return JSON.stringify({ message: e.message, stack: e.stack, details: e.details, cause: String(e.cause ?? ''), type: e.type });
}

const allPasswords = () => [hosts.admin.password, ...Object.values(hosts.users).flatMap((u) => [u.host1.password, u.host2.password])];

async function failureOf(req: SyncRequest): Promise<ApplicationFailure> {
  const err = await syncMailbox(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  for (const p of allPasswords()) expect(everything(err)).not.toContain(p);
  return err as ApplicationFailure;
}

function wrongPassword(): string {
  const variable = `MAILSHIFT_TEST_WRONG_${process.pid}`;
  process.env[variable] = 'not-the-password-0f3a9c';
  return `env:${variable}`;
}

describe('before any login', () => {
  it('a server that does not answer is a retryable failure', async () => {
    const req = hosts.request('gina');
    req.source.endpoint.port = await freePort();
    const err = await failureOf(req);
    expect(err).toMatchObject({ type: 'ImapConnectionFailed', nonRetryable: false });
    expect(err.message).toContain('host1');
  });

  it('a credential reference that does not resolve is not retried and says which one', async () => {
    const req = hosts.request('gina');
    req.destination.login.credential = 'env:MAILSHIFT_TEST_UNSET_VARIABLE';
    const err = await failureOf(req);
    expect(err).toMatchObject({ type: 'CredentialUnavailable', nonRetryable: true });
    expect(err.message).toContain('MAILSHIFT_TEST_UNSET_VARIABLE');
  });
});

describe('quota', () => {
  it('a full host2 stops the sync with folder and sizes; delete1 removes only what host2 holds', async () => {
    const read = (side: 'host1' | 'host2') => readMailbox(hosts[side], 'quinn', hosts.users.quinn[side].password);
    const before = await read('host1');
    const err = await failureOf(hosts.request('quinn', { deleteOnSource: true }));
    expect(err).toMatchObject({ type: 'ImapQuotaExceeded', nonRetryable: true });
    expect(err.message).toContain('host2 mailbox quinn@example.org');
    expect(err.message).toContain('folder "Archive/2024"');
    expect(err.message).toMatch(/quota [\d.]+ KiB used of 200\.0 KiB/);
    expect(err.message).toMatch(/still to copy/);
    // Folders that fit were copied (and, verified, removed from host1); the folder that did
    // not fit lost nothing on host1. Nothing left host1 without a copy on host2.
    const after = await read('host1');
    const onHost2 = new Set((await read('host2')).map((m) => m.sha256));
    const gone = before.filter((m) => !after.some((a) => a.folder === m.folder && a.uid === m.uid));
    expect(gone.length).toBeGreaterThan(0);
    for (const m of gone) expect(onHost2.has(m.sha256)).toBe(true);
    const archive = (list: typeof before) => fingerprints(list.filter((m) => m.folder === 'Archive/2024'));
    expect(archive(after)).toEqual(archive(before));
    expect(archive(before)).toHaveLength(4);
  });
});

describe('inside a Temporal activity', () => {
  it('heartbeats folder and counts, without secrets, and ends with the totals', async () => {
    const env = new MockActivityEnvironment();
    const beats: SyncProgress[] = [];
    env.on('heartbeat', (d: SyncProgress) => beats.push(d));
    const result = (await env.run(syncMailbox, hosts.request('hank', { tuning: { batchMessages: 5 } }))) as SyncResult;
    expect(result.totals.copied).toBe(corpus.length);
    expect(beats.some((b) => b.phase === 'messages' && b.folder === 'Archive/2024')).toBe(true);
    const last = beats[beats.length - 1];
    expect(last).toMatchObject({ phase: 'done', copied: corpus.length, foldersDone: result.folders.length, foldersTotal: result.folders.length });
    expect(last.bytesCopied).toBe(result.totals.bytesCopied);
    const text = JSON.stringify(beats) + JSON.stringify(result);
    for (const p of allPasswords()) expect(text).not.toContain(p);
  });

  it('keeps heartbeating while a single APPEND takes several times the keep-alive interval', async () => {
    // One message of about 1 MB to a host2 reached at 100 KB/s: one APPEND of about 10 s.
    await seedBulk(hosts.host1, 'kate', hosts.users.kate.host1.password, { folder: 'INBOX', count: 1, largeEvery: 1, largeBytes: 1_000_000 });
    const throttle = await startThrottle(hosts.host2.port, 100 * 1024);
    try {
      const req = hosts.request('kate');
      req.destination.endpoint.port = throttle.port;
      const env = new MockActivityEnvironment();
      const beats: number[] = [];
      env.on('heartbeat', () => beats.push(Date.now()));
      const started = Date.now();
      const result = (await env.run(syncMailbox, req)) as SyncResult;
      const ended = Date.now();
      expect(result.totals.copied).toBe(1);
      expect(ended - started).toBeGreaterThan(4 * KEEPALIVE_MS);
      // Without the timer, the APPEND alone is one silent gap of ~10 s.
      const times = [started, ...beats, ended];
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      expect(Math.max(...gaps)).toBeLessThan(2 * KEEPALIVE_MS + 1000);
    } finally {
      await throttle.close();
    }
  });

  it('a retryable failure waits 30 s before the next attempt, twice as long each attempt; one not retried sets no wait', async () => {
    const req = hosts.request('gina');
    req.source.endpoint.port = await freePort();
    // Activity failures are expected here: keep the mock's log quiet.
    const quiet = { logger: new DefaultLogger('ERROR') };
    const failing = (attempt: number, r: SyncRequest) =>
      new MockActivityEnvironment({ attempt }, quiet).run(syncMailbox, r).then(
        () => undefined,
        (e: unknown) => e as ApplicationFailure,
      );
    for (const [attempt, wait] of [
      [1, 30_000],
      [3, 120_000],
    ]) {
      const err = await failing(attempt, req);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'ImapConnectionFailed', nonRetryable: false, nextRetryDelay: wait });
      expect(err?.message).toContain('host1');
    }
    const unresolved = hosts.request('gina');
    unresolved.destination.login.credential = 'env:MAILSHIFT_TEST_UNSET_VARIABLE';
    const err = await failing(2, unresolved);
    expect(err).toMatchObject({ type: 'CredentialUnavailable', nonRetryable: true });
    expect(err?.nextRetryDelay).toBeUndefined();
  });

  it('stops between batches when cancelled; a later run completes without duplicates', async () => {
    const env = new MockActivityEnvironment();
    let cancelled = false;
    env.on('heartbeat', (d: SyncProgress) => {
      if (!cancelled && d.copied > 0) {
        cancelled = true;
        env.cancel();
      }
    });
    const req = hosts.request('ivan', { tuning: { batchMessages: 1, parallelFolders: 1 } });
    await expect(env.run(syncMailbox, req)).rejects.toBeInstanceOf(CancelledFailure);
    const partial = await readMailbox(hosts.host2, 'ivan', hosts.users.ivan.host2.password);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(corpus.length);

    const rest = await syncMailbox(hosts.request('ivan'));
    expect(rest.totals.copied).toBe(corpus.length - partial.length);
    expect((await readMailbox(hosts.host2, 'ivan', hosts.users.ivan.host2.password)).length).toBe(corpus.length);
    expect((await verifyMailbox(hosts.request('ivan'))).ok).toBe(true);
  });

  it('a connection cut mid-copy: the folder is done again over a new connection, nothing copied twice', async () => {
    let kicks = 0;
    const req = hosts.request('jack', { tuning: { batchMessages: 1, parallelFolders: 1 } });
    const result = await syncMailbox(req, (p) => {
      if (kicks === 0 && p.copied > 0) {
        kicks++;
        hosts.host2.kick('jack'); // doveadm kick: the server closes jack's sessions
      }
    });
    expect(kicks).toBe(1);
    expect(result.folders.some((f) => f.fullReason === 'connection lost mid-folder')).toBe(true);
    // host2 holds host1's messages, each as often as host1 does (no copy twice).
    const hashes = async (side: 'host1' | 'host2') => (await readMailbox(hosts[side], 'jack', hosts.users.jack[side].password)).map((m) => m.sha256).sort();
    expect(await hashes('host2')).toEqual(await hashes('host1'));
  });

  it('a verification whose connections are cut goes on over new ones, host2 limits read on the new first pair', async () => {
    await syncMailbox(hosts.request('jack'));
    let kicks = 0;
    const verified = await verifyMailbox(hosts.request('jack', { tuning: { parallelFolders: 1 } }), (p) => {
      if (kicks === 0 && p.foldersDone > 0) {
        kicks++;
        hosts.host2.kick('jack');
      }
    });
    expect(kicks).toBe(1);
    expect(verified).toMatchObject({ ok: true, missing: 0 });
    expect(verified.size?.quota).toBeNull();
  });

  it('a connection cut again and again is retryable; the retry completes without duplicates', async () => {
    const req = hosts.request('lena', { tuning: { batchMessages: 1, parallelFolders: 1 } });
    const err = await syncMailbox(req, (p) => {
      if (p.copied > 0) hosts.host2.kick('lena'); // from the first copy on, no connection lasts
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'ImapConnectionFailed', nonRetryable: false });
    expect((err as Error).message).toMatch(/^host2 mailbox lena@example\.org/);
    const retry = await syncMailbox(req);
    expect(retry.totals.destinationMessages + retry.totals.copied).toBe(corpus.length);
    expect((await readMailbox(hosts.host2, 'lena', hosts.users.lena.host2.password)).length).toBe(corpus.length);
  });

  it('outside an activity, progress goes to the callback', async () => {
    const seen: SyncProgress[] = [];
    const result = await syncMailbox(hosts.request('ivan'), (p) => seen.push(p));
    expect(result.totals.copied).toBe(0);
    expect(seen[seen.length - 1]).toMatchObject({ phase: 'done', mailbox: 'ivan@example.org', copied: 0 });
  });
});

// Last: Dovecot slows down logins from an address after failed ones (auth_penalty).
describe('login failures', () => {
  it('a wrong password on host1 is not retried and names side and mailbox, never the password', async () => {
    const req = hosts.request('gina');
    req.source.login.credential = wrongPassword();
    const err = await failureOf(req);
    expect(err).toMatchObject({ type: 'ImapLoginFailed', nonRetryable: true });
    expect(err.message).toContain('host1');
    expect(err.message).toContain('gina@example.org');
    expect(everything(err)).not.toContain('not-the-password-0f3a9c');
  });

  it('a mailbox missing on host2 is not retried and names host2', async () => {
    const req = hosts.request('gina');
    req.destination.login.user = 'nobody-here';
    const err = await failureOf(req);
    expect(err).toMatchObject({ type: 'ImapLoginFailed', nonRetryable: true });
    expect(err.message).toMatch(/^host2 mailbox gina@example\.org \(login nobody-here\)/);
  });

  it('an admin login the server refuses is a login failure too', async () => {
    const req = hosts.request('gina');
    req.source.login = { user: 'gina', masterUser: 'admin', credential: wrongPassword() };
    expect(await failureOf(req)).toMatchObject({ type: 'ImapLoginFailed', nonRetryable: true });
  });
});
