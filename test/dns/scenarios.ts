// The DNS activities' behaviour, the same against every real server: each operation, its
// idempotent repeat, a record changed behind mailshift's back (conflict, not overwritten),
// wrong credentials, the exact restore, TTLs as resolvers see them, propagation, and a
// stopped server. Each test file runs these against its own server.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  checkPropagation,
  lowerTtl,
  readRecords,
  replaceRecords,
  restoreRecords,
  switchAddress,
  switchMx,
} from '../../activities/dns';
import { openProvider } from '../../activities/dns/provider';
import type { PropagationResult } from '../../activities/dns/propagation';
import type { RRset } from '../../activities/dns/records';
import { dig } from './dig';
import { removeDirs, ZONE, type TestDns } from './servers';

export const failure = (p: Promise<unknown>): Promise<ApplicationFailure> =>
  p.then(
    () => {
      throw new Error('expected the activity to fail');
    },
    (e: unknown) => e as ApplicationFailure,
  );

/** Everything an error exposes (message, details, stack, cause) must be free of secrets. */
export function expectNoSecret(err: ApplicationFailure, secrets: string[]): void {
  const exposed = JSON.stringify({ message: err.message, details: err.details, stack: err.stack, cause: String(err.cause ?? '') });
  for (const s of secrets) expect(exposed).not.toContain(s);
}

const rr = (name: string, type: RRset['type'], ttl: number, values: string[]): RRset => ({ name, type, ttl, values });

/** Runs the checkPropagation activity in an activity context, recording its heartbeats. */
export async function propagation(input: Parameters<typeof checkPropagation>[0]) {
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000, currentAttemptScheduledTimestampMs: Date.now() });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  // The mock's run() does not infer the activity's result type.
  const result = (await env.run(checkPropagation, input)) as PropagationResult;
  return { result, heartbeats };
}

export function providerScenarios(start: () => Promise<TestDns>): void {
  let dns: TestDns;
  beforeAll(async () => {
    dns = await start();
  }, 30_000);
  afterAll(async () => {
    await dns?.stop();
    removeDirs();
  });
  const provider = () => dns.provider;

  describe('readRecords', () => {
    it('reads an RRset with its TTL, normalised; null when the name or the type has none', async () => {
      expect(await readRecords({ provider: provider(), name: 'Example.TEST', type: 'mx' })).toEqual(rr('example.test.', 'MX', 3600, ['10 mail1.example.test.']));
      expect(await readRecords({ provider: provider(), zone: ZONE, name: 'imap.example.test.', type: 'AAAA' })).toEqual(
        rr('imap.example.test.', 'AAAA', 3600, ['2001:db8::10']),
      );
      expect(await readRecords({ provider: provider(), name: 'webmail.example.test', type: 'CNAME' })).toEqual(
        rr('webmail.example.test.', 'CNAME', 3600, ['imap.example.test.']),
      );
      expect(await readRecords({ provider: provider(), name: 'nothing.example.test', type: 'A' })).toBeNull();
      expect(await readRecords({ provider: provider(), name: 'imap.example.test', type: 'MX' })).toBeNull();
    });

    it('refuses a name outside the zone, and a zone that contradicts the provider, without asking the server', async () => {
      await expect(readRecords({ provider: provider(), name: 'mail.elsewhere.test', type: 'A' })).rejects.toMatchObject({
        type: 'DnsRequestInvalid',
        nonRetryable: true,
        message: expect.stringContaining('not in zone example.test.'),
      });
      await expect(readRecords({ provider: provider(), zone: 'other.test', name: 'mail.other.test', type: 'A' })).rejects.toMatchObject({
        type: 'DnsRequestInvalid',
      });
    });
  });

  describe('the runbook on the MX: lower the TTL, switch, restore exactly', () => {
    it('each step is visible in the answers, each repeat changes nothing, the restore puts back records and TTLs', async () => {
      const original = (await readRecords({ provider: provider(), name: ZONE, type: 'MX' }))!;
      expect(original.ttl).toBe(3600);

      // Step 3: the TTL goes down (delete + re-add: Knot ignores a TTL-only re-add).
      const lowered = await lowerTtl({ provider: provider(), records: [{ name: ZONE, type: 'MX' }], ttl: 300, expected: [original] });
      expect(lowered).toEqual({ changed: true, before: [original], after: [{ ...original, ttl: 300 }] });
      expect(await dig(dns.port, ZONE, 'MX')).toEqual({ rcode: 0, ttl: 300, values: ['10 mail1.example.test.'] });
      expect(await lowerTtl({ provider: provider(), records: [{ name: ZONE, type: 'MX' }], ttl: 300, expected: [original] })).toEqual({ ...lowered, changed: false });

      // Step 8: the MX to a new host, whose address the same update adds.
      const switched = await switchMx({
        provider: provider(),
        name: ZONE,
        values: ['10 MX-New.example.test'],
        expected: lowered.after[0],
        targetAddresses: [{ name: 'mx-new.example.test', addresses: ['198.51.100.25'] }],
      });
      const newMx = rr('example.test.', 'MX', 300, ['10 mx-new.example.test.']);
      const newA = rr('mx-new.example.test.', 'A', 300, ['198.51.100.25']);
      expect(switched).toEqual({ changed: true, before: [lowered.after[0], null], after: [newMx, newA] });
      expect(await dig(dns.port, ZONE, 'MX')).toEqual({ rcode: 0, ttl: 300, values: ['10 mx-new.example.test.'] });
      expect(await dig(dns.port, 'mx-new.example.test', 'A')).toEqual({ rcode: 0, ttl: 300, values: ['198.51.100.25'] });
      const again = await switchMx({
        provider: provider(),
        name: ZONE,
        values: ['10 mx-new.example.test.'],
        expected: lowered.after[0],
        targetAddresses: [{ name: 'mx-new.example.test', addresses: ['198.51.100.25'] }],
      });
      expect(again).toEqual({ ...switched, before: [lowered.after[0], newA], changed: false });

      const { result } = await propagation({ provider: provider(), expected: newMx, nameservers: [`127.0.0.1:${dns.port}`], deadlineSeconds: 10, intervalSeconds: 0.2 });
      expect(result).toMatchObject({ ok: true, rounds: 1, servers: [{ server: `127.0.0.1:${dns.port}`, status: 'current', answer: newMx }] });

      // Back-out: exactly the recorded records, and the added address gone.
      const restored = await restoreRecords({
        provider: provider(),
        records: [original],
        absent: [{ name: 'mx-new.example.test', type: 'A' }],
        expected: switched.after.filter((r): r is RRset => r !== null),
      });
      expect(restored).toEqual({ changed: true, before: [newMx, newA], after: [original, null] });
      expect(await readRecords({ provider: provider(), name: ZONE, type: 'MX' })).toEqual(original);
      expect(await dig(dns.port, ZONE, 'MX')).toEqual({ rcode: 0, ttl: 3600, values: ['10 mail1.example.test.'] });
      expect((await dig(dns.port, 'mx-new.example.test', 'A')).values).toEqual([]);
      const gone = await propagation({ provider: provider(), expected: null, name: 'mx-new.example.test', type: 'A', nameservers: [`127.0.0.1:${dns.port}`], deadlineSeconds: 5, intervalSeconds: 0.2 });
      expect(gone.result.ok).toBe(true);
      expect(
        await restoreRecords({ provider: provider(), records: [original], absent: [{ name: 'mx-new.example.test', type: 'A' }], expected: switched.after.filter((r): r is RRset => r !== null) }),
      ).toEqual({ ...restored, changed: false });
    });
  });

  describe('lowerTtl', () => {
    it('lowers several RRsets in one change, leaves one already low as it is, and works without recorded records', async () => {
      await dns.outsideChange('park.example.test', 'A', 120, ['192.0.2.20']);
      const result = await lowerTtl({
        provider: provider(),
        records: [
          { name: 'ttl.example.test', type: 'A' },
          { name: 'imap.example.test', type: 'AAAA' },
          { name: 'park.example.test', type: 'A' },
        ],
        ttl: 300,
      });
      expect(result.after).toEqual([
        rr('ttl.example.test.', 'A', 300, ['192.0.2.50']),
        rr('imap.example.test.', 'AAAA', 300, ['2001:db8::10']),
        rr('park.example.test.', 'A', 120, ['192.0.2.20']),
      ]);
      expect(result.before.map((r) => r?.ttl)).toEqual([3600, 3600, 120]);
      expect((await dig(dns.port, 'ttl.example.test', 'A')).ttl).toBe(300);
      expect((await dig(dns.port, 'imap.example.test', 'AAAA')).ttl).toBe(300);
      expect((await dig(dns.port, 'park.example.test', 'A')).ttl).toBe(120);
      // Repeated without the recorded records: the after-state is the same, nothing is sent.
      const again = await lowerTtl({ provider: provider(), records: [{ name: 'ttl.example.test', type: 'A' }, { name: 'imap.example.test', type: 'AAAA' }], ttl: 300 });
      expect(again).toEqual({ changed: false, before: result.after.slice(0, 2), after: result.after.slice(0, 2) });
    });

    it('refuses to lower a record that does not exist', async () => {
      await expect(lowerTtl({ provider: provider(), records: [{ name: 'nothing.example.test', type: 'MX' }], ttl: 300 })).rejects.toMatchObject({
        type: 'DnsRequestInvalid',
        message: expect.stringContaining('nothing.example.test. has no MX records'),
      });
    });
  });

  describe('switchMx', () => {
    it('an MX whose in-zone target has no address: refused by BIND, accepted by the others; with the address, taken by all', async () => {
      const input = { provider: provider(), name: 'lists.example.test', values: ['10 nohost.example.test.'], ttl: 300, expected: null };
      if (dns.refusesMxWithoutAddress) {
        const err = await failure(switchMx(input));
        expect(err).toMatchObject({ type: 'DnsAuthRefused', nonRetryable: true });
        expect(err.message).toContain('REFUSED');
        expect(err.message).toContain('has no A/AAAA record');
        expect(await readRecords({ provider: provider(), name: 'lists.example.test', type: 'MX' })).toBeNull();
      } else {
        expect((await switchMx(input)).after).toEqual([rr('lists.example.test.', 'MX', 300, ['10 nohost.example.test.'])]);
      }
      // With the target's address in the same change, every server takes it.
      const withAddress = await switchMx({ ...input, name: 'lists2.example.test', targetAddresses: [{ name: 'nohost2.example.test', addresses: ['2001:db8::25'] }], values: ['10 nohost2.example.test'] });
      expect(withAddress.after).toEqual([rr('lists2.example.test.', 'MX', 300, ['10 nohost2.example.test.']), rr('nohost2.example.test.', 'AAAA', 300, ['2001:db8::25'])]);
    });

    it('does not move a target host that already has other addresses', async () => {
      const err = await failure(
        switchMx({ provider: provider(), name: 'lists3.example.test', values: ['10 mail2.example.test.'], ttl: 300, expected: null, targetAddresses: [{ name: 'mail2.example.test', addresses: ['198.51.100.1'] }] }),
      );
      expect(err).toMatchObject({ type: 'DnsConflict', nonRetryable: true });
      expect(err.message).toContain('mail2.example.test. A');
      expect(err.message).toContain('192.0.2.2');
      expect((await dig(dns.port, 'mail2.example.test', 'A')).values).toEqual(['192.0.2.2']);
      expect(await readRecords({ provider: provider(), name: 'lists3.example.test', type: 'MX' })).toBeNull();
    });
  });

  describe('switchAddress', () => {
    it('moves the IMAP host name to host2 (IPv4 only: the AAAA goes), idempotently, and back', async () => {
      const a = (await readRecords({ provider: provider(), name: 'imap.example.test', type: 'A' }))!;
      const aaaa = await readRecords({ provider: provider(), name: 'imap.example.test', type: 'AAAA' });
      const moved = await switchAddress({ provider: provider(), name: 'imap.example.test', addresses: ['198.51.100.7'], ttl: 300, expected: [a, aaaa!] });
      expect(moved).toEqual({ changed: true, before: [a, aaaa], after: [rr('imap.example.test.', 'A', 300, ['198.51.100.7']), null] });
      expect(await dig(dns.port, 'imap.example.test', 'A')).toEqual({ rcode: 0, ttl: 300, values: ['198.51.100.7'] });
      expect((await dig(dns.port, 'imap.example.test', 'AAAA')).values).toEqual([]);
      expect(await switchAddress({ provider: provider(), name: 'imap.example.test', addresses: ['198.51.100.7'], ttl: 300, expected: [a, aaaa!] })).toEqual({ ...moved, changed: false });

      const back = await restoreRecords({ provider: provider(), records: [a, aaaa!], expected: [moved.after[0]!] });
      expect(back.after).toEqual([a, aaaa]);
      expect(await dig(dns.port, 'imap.example.test', 'AAAA')).toEqual({ rcode: 0, ttl: aaaa!.ttl, values: ['2001:db8::10'] });
    });

    it('refuses a name that is a CNAME', async () => {
      await expect(switchAddress({ provider: provider(), name: 'webmail.example.test', addresses: ['198.51.100.7'] })).rejects.toMatchObject({
        type: 'DnsRequestInvalid',
        message: expect.stringContaining('is a CNAME'),
      });
    });
  });

  describe('replaceRecords: an RRset deleted, then put back exactly (the lucky runbook parking one address family, then rolling back)', () => {
    it('deletes with next null, re-creates with expected null (TTL included), each repeat a no-op, and never over an outside change', async () => {
      const aaaa = (await readRecords({ provider: provider(), name: 'restore.example.test', type: 'AAAA' }))!;
      const gone = await replaceRecords({ provider: provider(), expected: aaaa, next: null });
      expect(gone).toEqual({ before: aaaa, after: null, changed: true });
      expect(await dig(dns.port, 'restore.example.test', 'AAAA')).toEqual({ rcode: 0, ttl: null, values: [] });
      // The other family is untouched: the name still has its address.
      expect((await dig(dns.port, 'restore.example.test', 'A')).values).toEqual(['192.0.2.60']);
      const check = { provider: provider(), expected: null, name: 'restore.example.test', type: 'AAAA', nameservers: [`127.0.0.1:${dns.port}`], deadlineSeconds: 5, intervalSeconds: 0.2 };
      expect((await propagation(check)).result.ok).toBe(true);
      expect(await replaceRecords({ provider: provider(), expected: aaaa, next: null })).toEqual({ ...gone, changed: false });

      const back = await replaceRecords({ provider: provider(), expected: null, next: aaaa });
      expect(back).toEqual({ before: null, after: aaaa, changed: true });
      expect(await dig(dns.port, 'restore.example.test', 'AAAA')).toEqual({ rcode: 0, ttl: 3600, values: ['2001:db8::60'] });
      expect(await replaceRecords({ provider: provider(), expected: null, next: aaaa })).toEqual({ ...back, changed: false });

      // Deleted again, then someone else adds an AAAA: putting ours back is a conflict.
      await replaceRecords({ provider: provider(), expected: aaaa, next: null });
      await dns.outsideChange('restore.example.test', 'AAAA', 600, ['2001:db8::61']);
      await expect(replaceRecords({ provider: provider(), expected: null, next: aaaa })).rejects.toMatchObject({ type: 'DnsConflict', details: [{ expected: null }] });
      expect((await dig(dns.port, 'restore.example.test', 'AAAA')).values).toEqual(['2001:db8::61']);
    });
  });

  describe('a record changed behind mailshift back', () => {
    it('is a conflict naming the record, expected and found, and is not overwritten', async () => {
      const recorded = (await readRecords({ provider: provider(), name: 'shared.example.test', type: 'A' }))!;
      await dns.outsideChange('shared.example.test', 'A', 3600, ['192.0.2.31']);
      const err = await failure(replaceRecords({ provider: provider(), expected: recorded, next: { ...recorded, values: ['192.0.2.32'] } }));
      expect(err).toMatchObject({ type: 'DnsConflict', nonRetryable: true, details: [{ name: 'shared.example.test.', type: 'A', expected: recorded }] });
      expect(err.message).toMatch(/shared\.example\.test\. A .*expected TTL 3600 \[192\.0\.2\.30\], found TTL 3600 \[192\.0\.2\.31\]/);
      expect((await dig(dns.port, 'shared.example.test', 'A')).values).toEqual(['192.0.2.31']);
    });

    it('a TTL changed by someone else is a conflict too', async () => {
      const recorded = (await readRecords({ provider: provider(), name: 'shared.example.test', type: 'A' }))!;
      await dns.outsideChange('shared.example.test', 'A', 120, recorded.values);
      await expect(lowerTtl({ provider: provider(), records: [recorded], ttl: 60, expected: [recorded] })).rejects.toMatchObject({ type: 'DnsConflict' });
      expect((await dig(dns.port, 'shared.example.test', 'A')).ttl).toBe(120);
    });

    it('a zone already in the target state is success, not a conflict', async () => {
      const recorded = (await readRecords({ provider: provider(), name: 'shared.example.test', type: 'A' }))!;
      const next = { ...recorded, ttl: 600, values: ['192.0.2.33'] };
      await dns.outsideChange('shared.example.test', 'A', 600, ['192.0.2.33']);
      expect(await replaceRecords({ provider: provider(), expected: recorded, next })).toEqual({ before: recorded, after: next, changed: false });
    });

    it('a change racing ours between read and write is caught by the provider, not overwritten', async () => {
      const p = await openProvider(provider());
      const stale = rr('raced.example.test.', 'A', 3600, ['192.0.2.40']);
      await dns.outsideChange('raced.example.test', 'A', 3600, ['192.0.2.41']);
      // Straight to the provider, as if our read had happened before the outside change.
      const err = await failure(p.replace([{ name: stale.name, type: 'A', expected: stale, next: { ...stale, values: ['192.0.2.42'] } }]));
      expect(err).toMatchObject({ type: 'DnsConflict', details: [{ actual: rr('raced.example.test.', 'A', 3600, ['192.0.2.41']) }] });
      // "Must not exist" is a prerequisite too.
      await expect(p.replace([{ name: stale.name, type: 'A', expected: null, next: stale }])).rejects.toMatchObject({ type: 'DnsConflict' });
      expect((await dig(dns.port, 'raced.example.test', 'A')).values).toEqual(['192.0.2.41']);
    });
  });

  describe('credentials', () => {
    for (const which of ['wrongCredential', 'unknownCredential'] as const) {
      it(`${which === 'wrongCredential' ? 'a wrong' : 'an unknown'} key is a clear, non-retryable error without any secret in it`, async () => {
        const { provider: bad, secrets } = dns[which]();
        const before = await readRecords({ provider: provider(), name: 'ttl.example.test', type: 'A' });
        const err = await failure(replaceRecords({ provider: bad, expected: before, next: { ...before!, values: ['203.0.113.9'] } }));
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect(err).toMatchObject({ type: 'DnsAuthRefused', nonRetryable: true });
        expect(err.message).toMatch(dns.hasPrimary ? new RegExp(`^the TSIG key \\S+ was refused by 127\\.0\\.0\\.1:${dns.port} `) : /refused the API key from env:MAILSHIFT_TEST_DNS_/);
        expectNoSecret(err, secrets);
        expect(await readRecords({ provider: provider(), name: 'ttl.example.test', type: 'A' })).toEqual(before);
      });
    }
  });

  describe('checkPropagation', () => {
    it('reports who still answers what when the deadline passes, heartbeating each round', async () => {
      const never = rr('example.test.', 'MX', 3600, ['10 never.example.test.']);
      const t0 = Date.now();
      const { result, heartbeats } = await propagation({ provider: provider(), expected: never, nameservers: [`127.0.0.1:${dns.port}`], deadlineSeconds: 1, intervalSeconds: 0.2 });
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(result.ok).toBe(false);
      expect(result.rounds).toBeGreaterThan(1);
      expect(heartbeats.length).toBe(result.rounds);
      expect(heartbeats[0]).toEqual({ round: 1, pending: [`127.0.0.1:${dns.port}`] });
      expect(result.servers).toEqual([{ server: `127.0.0.1:${dns.port}`, role: 'authoritative', status: 'stale', answer: rr('example.test.', 'MX', 3600, ['10 mail1.example.test.']) }]);
      expect(result.summary).toContain(`127.0.0.1:${dns.port} answers TTL 3600 [10 mail1.example.test.]`);
    });

    it('a listed resolver that does not answer holds the check', async () => {
      const current = (await readRecords({ provider: provider(), name: 'mail1.example.test', type: 'A' }))!;
      const { result } = await propagation({
        provider: provider(),
        expected: current,
        nameservers: [`127.0.0.1:${dns.port}`],
        resolvers: ['127.0.0.1:9'],
        deadlineSeconds: 0.5,
        intervalSeconds: 0.2,
        queryTimeoutSeconds: 0.3,
      });
      expect(result.ok).toBe(false);
      expect(result.servers.map((s) => [s.server, s.role, s.status])).toEqual([
        [`127.0.0.1:${dns.port}`, 'authoritative', 'current'],
        ['127.0.0.1:9', 'resolver', 'unreachable'],
      ]);
    });

    it('by default asks the primary and the zone NS records (ns1 on port 53 here: reported, not required)', async () => {
      const current = (await readRecords({ provider: provider(), name: 'mail1.example.test', type: 'A' }))!;
      const { result } = await propagation({ provider: provider(), expected: current, deadlineSeconds: 0.5, intervalSeconds: 0.2, queryTimeoutSeconds: 0.3 });
      const ns1 = result.servers.find((s) => s.server === 'ns1.example.test. (127.0.0.1:53)');
      expect(ns1).toBeDefined();
      if (dns.hasPrimary) {
        expect(result.servers[0]).toMatchObject({ server: `127.0.0.1:${dns.port}`, status: 'current' });
        if (ns1!.status === 'unreachable') expect(result.ok).toBe(true);
      } else if (ns1!.status === 'unreachable') {
        // PowerDNS's API gives no DNS address: no authoritative server answered at all.
        expect(result.ok).toBe(false);
      }
    });
  });

  describe('a stopped server', () => {
    it('is a retryable failure for reads and changes', async () => {
      await dns.stop();
      const read = await failure(readRecords({ provider: provider(), name: ZONE, type: 'MX' }));
      expect(read).toMatchObject({ type: 'DnsUnavailable', nonRetryable: false });
      expect(read.message).toMatch(/connection refused|no answer/);
      const change = await failure(
        replaceRecords({ provider: provider(), expected: null, next: rr('down.example.test.', 'A', 300, ['192.0.2.99']) }),
      );
      expect(change).toMatchObject({ type: 'DnsUnavailable', nonRetryable: false });
      // The change itself (not only the read before it) finds nobody.
      const p = await openProvider(provider());
      const update = await failure(p.replace([{ name: 'down.example.test.', type: 'A', expected: null, next: rr('down.example.test.', 'A', 300, ['192.0.2.99']) }]));
      expect(update).toMatchObject({ type: 'DnsUnavailable', nonRetryable: false, message: expect.stringContaining('connection refused') });
    });
  });
}
