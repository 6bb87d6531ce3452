// The DNS activities against a real Knot taking TSIG-signed RFC 2136 updates.
import { MockActivityEnvironment } from '@temporalio/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { checkPropagation, readRecords, replaceRecords } from '../../activities/dns';
import type { DnsProvider } from '../../workflows/spec';

const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-dns-'));
let knot: KnotServer;
let provider: DnsProvider;
const zone = 'example.test';
const mxOld = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const run = <T>(fn: () => Promise<T>) => new MockActivityEnvironment().run(fn) as Promise<T>;

beforeAll(async () => {
  knot = await startKnot({
    dir,
    zone,
    records: '@ 86400 IN MX 10 mail1\nmail1 86400 IN A 127.0.0.1\nmail2 86400 IN A 127.0.0.2\nimap 86400 IN A 127.0.0.1',
  });
  provider = { kind: 'rfc2136', server: '127.0.0.1', port: knot.port, tsigKey: `file:${knot.keyFile}` };
});
afterAll(async () => {
  await knot?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('RFC 2136 with TSIG on Knot', () => {
  it('reads an RRset with its TTL', async () => {
    expect(await readRecords({ provider, zone, name: 'example.test', type: 'MX' })).toEqual(mxOld);
    expect(await readRecords({ provider, zone, name: 'nothing.example.test', type: 'A' })).toBeNull();
  });

  it('lowers a TTL (delete and re-add in one update), idempotently', async () => {
    const low = { ...mxOld, ttl: 300 };
    const first = await replaceRecords({ provider, zone, expected: mxOld, next: low });
    expect(first).toEqual({ before: mxOld, after: low });
    expect(await readRecords({ provider, zone, name: 'example.test', type: 'MX' })).toEqual(low);
    // A retried activity finds the change made: nothing sent, same after-state.
    expect((await replaceRecords({ provider, zone, expected: mxOld, next: low })).after).toEqual(low);
  });

  it('switches the MX and waits until the server answers it, then restores exactly', async () => {
    const current = (await readRecords({ provider, zone, name: 'example.test', type: 'MX' }))!;
    const next = { ...current, values: ['10 mail2.example.test.'] };
    await replaceRecords({ provider, zone, expected: current, next });
    const propagation = await run(() => checkPropagation({ provider, zone, expected: next, resolvers: [], deadlineSeconds: 5 }));
    expect(propagation).toMatchObject({ ok: true });
    await replaceRecords({ provider, zone, expected: next, next: mxOld });
    expect(await readRecords({ provider, zone, name: 'example.test', type: 'MX' })).toEqual(mxOld);
  });

  it('reports who still answers the old records when propagation does not complete', async () => {
    const never = { ...mxOld, values: ['10 never.example.test.'] };
    const result = await run(() => checkPropagation({ provider, zone, expected: never, resolvers: [], deadlineSeconds: 1 }));
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('10 mail1.example.test.');
  });

  it('detects a record someone else changed and does not overwrite it', async () => {
    const script = `server 127.0.0.1 ${knot.port}\nzone ${zone}\nupdate delete imap.example.test. A\nupdate add imap.example.test. 600 A 127.0.0.9\nsend\n`;
    expect(spawnSync('nsupdate', ['-k', knot.keyFile], { input: script }).status).toBe(0);
    const expected = { name: 'imap.example.test.', type: 'A', ttl: 86400, values: ['127.0.0.1'] };
    const next = { ...expected, values: ['127.0.0.2'] };
    await expect(replaceRecords({ provider, zone, expected, next })).rejects.toMatchObject({
      type: 'DnsConflict',
      nonRetryable: true,
      message: expect.stringContaining('someone else changed it'),
    });
    expect((await readRecords({ provider, zone, name: 'imap.example.test', type: 'A' }))?.values).toEqual(['127.0.0.9']);
  });

  it('refuses a wrong key with a clear, non-retryable error that does not show the secret', async () => {
    const secret = Buffer.alloc(32, 9).toString('base64');
    process.env.MAILSHIFT_TEST_WRONG_TSIG = `hmac-sha256:${knot.key.name}:${secret}`;
    const wrong: DnsProvider = { ...provider, tsigKey: 'env:MAILSHIFT_TEST_WRONG_TSIG' } as DnsProvider;
    const err = await replaceRecords({ provider: wrong, zone, expected: mxOld, next: { ...mxOld, ttl: 600 } }).catch((e: Error) => e);
    expect(err).toMatchObject({ type: 'DnsAuthRefused', nonRetryable: true });
    expect((err as Error).message).not.toContain(secret);
    expect(await readRecords({ provider, zone, name: 'example.test', type: 'MX' })).toEqual(mxOld);
  });

  it('a server that does not answer is a retryable failure', async () => {
    const down: DnsProvider = { ...provider, port: 9 } as DnsProvider; // discard port: nothing listens
    await expect(readRecords({ provider: down, zone, name: 'example.test', type: 'MX' })).rejects.toMatchObject({ nonRetryable: false });
  });
});
