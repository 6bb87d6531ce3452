// The DNS activities' behaviour, the same against every real server, used the way the
// runbook uses them (workflows/dns-steps.ts: read, then one guarded replaceRecords per
// RRset): each step, its idempotent repeat, a record changed behind mailshift's back
// (conflict, not overwritten), wrong credentials, the exact rollback, TTLs as resolvers
// see them, propagation, and a stopped server. Each test file runs these against its own server.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { checkPropagation, readRecords, replaceRecords } from '../../activities/dns';
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
      expect(await readRecords({ provider: provider(), name: 'Example.TEST', type: 'mx' })).toEqual(
        rr('example.test.', 'MX', 3600, ['10 mail1.example.test.']),
      );
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

  /** One guarded change, the way workflows/dns-steps.ts writes every record: from what it recorded to what it wants. */
  const replace = (expected: RRset | null, next: RRset | null) => replaceRecords({ provider: provider(), expected, next });

  describe('the runbook on the MX: lower the TTL, switch, roll back exactly', () => {
    it('each step is visible in the answers, each repeat changes nothing, the rollback puts back the record and its TTL', async () => {
      const original = (await readRecords({ provider: provider(), name: ZONE, type: 'MX' }))!;
      expect(original.ttl).toBe(3600);

      // Step 3: only the TTL goes down (delete + re-add: Knot ignores a TTL-only re-add).
      const low = { ...original, ttl: 300 };
      const lowered = await replace(original, low);
      expect(lowered).toEqual({ changed: true, before: original, after: low });
      expect(await dig(dns.port, ZONE, 'MX')).toEqual({ rcode: 0, ttl: 300, values: ['10 mail1.example.test.'] });
      // A retried attempt (its answer lost): nothing sent, the same before and after.
      expect(await replace(original, low)).toEqual({ ...lowered, changed: false });

      // Step 8: the MX to host2 at the low TTL, the spec's spelling normalised.
      const switched = await replaceRecords({
        provider: provider(),
        expected: low,
        next: { name: 'Example.TEST', type: 'mx', ttl: 300, values: ['10 Mail2.Example.test'] },
      });
      const newMx = rr('example.test.', 'MX', 300, ['10 mail2.example.test.']);
      expect(switched).toEqual({ changed: true, before: low, after: newMx });
      expect(await dig(dns.port, ZONE, 'MX')).toEqual({ rcode: 0, ttl: 300, values: ['10 mail2.example.test.'] });
      expect(await replace(low, newMx)).toEqual({ ...switched, changed: false });

      const { result } = await propagation({
        provider: provider(),
        expected: newMx,
        nameservers: [`127.0.0.1:${dns.port}`],
        deadlineSeconds: 10,
        intervalSeconds: 0.2,
      });
      expect(result).toMatchObject({ ok: true, rounds: 1, servers: [{ server: `127.0.0.1:${dns.port}`, status: 'current', answer: newMx }] });

      // Rollback: exactly the recorded record, TTL included.
      const restored = await replace(newMx, original);
      expect(restored).toEqual({ changed: true, before: newMx, after: original });
      expect(await readRecords({ provider: provider(), name: ZONE, type: 'MX' })).toEqual(original);
      expect(await dig(dns.port, ZONE, 'MX')).toEqual({ rcode: 0, ttl: 3600, values: ['10 mail1.example.test.'] });
      expect(await replace(newMx, original)).toEqual({ ...restored, changed: false });
    });
  });

  describe('lowering the TTL of address records', () => {
    it("changes only the RRset's TTL, never its values nor the name's other family", async () => {
      const a = (await readRecords({ provider: provider(), name: 'ttl.example.test', type: 'A' }))!;
      const aaaa = (await readRecords({ provider: provider(), name: 'imap.example.test', type: 'AAAA' }))!;
      expect(await replace(a, { ...a, ttl: 300 })).toEqual({ changed: true, before: a, after: rr('ttl.example.test.', 'A', 300, ['192.0.2.50']) });
      expect(await replace(aaaa, { ...aaaa, ttl: 300 })).toEqual({
        changed: true,
        before: aaaa,
        after: rr('imap.example.test.', 'AAAA', 300, ['2001:db8::10']),
      });
      expect(await dig(dns.port, 'ttl.example.test', 'A')).toEqual({ rcode: 0, ttl: 300, values: ['192.0.2.50'] });
      expect(await dig(dns.port, 'imap.example.test', 'AAAA')).toEqual({ rcode: 0, ttl: 300, values: ['2001:db8::10'] });
      expect(await dig(dns.port, 'imap.example.test', 'A')).toEqual({ rcode: 0, ttl: 3600, values: ['192.0.2.10'] });
    });

    it('a record recorded but gone since is a conflict, not re-created; a change that does not say what it expects is refused', async () => {
      const gone = rr('nothing.example.test.', 'MX', 3600, ['10 mail1.example.test.']);
      const err = await failure(replace(gone, { ...gone, ttl: 300 }));
      expect(err).toMatchObject({ type: 'DnsConflict', nonRetryable: true, details: [{ expected: gone, actual: null }] });
      expect(err.message).toContain('nothing.example.test. MX');
      expect(await readRecords({ provider: provider(), name: 'nothing.example.test', type: 'MX' })).toBeNull();
      // JSON drops `undefined`: a workflow that lost `expected` must not write blindly.
      const blind = { provider: provider(), next: { ...gone, ttl: 300 } } as unknown as Parameters<typeof replaceRecords>[0];
      await expect(replaceRecords(blind)).rejects.toMatchObject({ type: 'DnsRequestInvalid', message: expect.stringContaining('needs `expected`') });
    });
  });

  describe("an MX whose target is in the zone (the spec's host2 MX)", () => {
    it('a target without an address: refused by BIND, accepted by the others; with the address written first, taken by all', async () => {
      const mx = rr('lists.example.test.', 'MX', 300, ['10 nohost.example.test.']);
      if (dns.refusesMxWithoutAddress) {
        const err = await failure(replace(null, mx));
        expect(err).toMatchObject({ type: 'DnsAuthRefused', nonRetryable: true });
        expect(err.message).toContain('REFUSED');
        expect(err.message).toContain('has no A/AAAA record');
        expect(await readRecords({ provider: provider(), name: 'lists.example.test', type: 'MX' })).toBeNull();
      } else {
        expect(await replace(null, mx)).toEqual({ changed: true, before: null, after: mx });
      }
      const address = rr('nohost2.example.test.', 'AAAA', 300, ['2001:db8::25']);
      expect(await replace(null, address)).toEqual({ changed: true, before: null, after: address });
      const mx2 = rr('lists2.example.test.', 'MX', 300, ['10 nohost2.example.test.']);
      expect(await replace(null, mx2)).toEqual({ changed: true, before: null, after: mx2 });
      expect(await dig(dns.port, 'lists2.example.test', 'MX')).toEqual({ rcode: 0, ttl: 300, values: ['10 nohost2.example.test.'] });
    });
  });

  describe('the IMAP host name (lucky scenario)', () => {
    it('to host2, IPv4 only: the A written first, then the AAAA deleted, each repeat a no-op; the rollback puts both back', async () => {
      const a = (await readRecords({ provider: provider(), name: 'imap.example.test', type: 'A' }))!;
      const aaaa = (await readRecords({ provider: provider(), name: 'imap.example.test', type: 'AAAA' }))!;
      const newA = rr('imap.example.test.', 'A', 300, ['198.51.100.7']);
      const moved = await replace(a, newA);
      expect(moved).toEqual({ changed: true, before: a, after: newA });
      const dropped = await replace(aaaa, null);
      expect(dropped).toEqual({ changed: true, before: aaaa, after: null });
      expect(await dig(dns.port, 'imap.example.test', 'A')).toEqual({ rcode: 0, ttl: 300, values: ['198.51.100.7'] });
      expect((await dig(dns.port, 'imap.example.test', 'AAAA')).values).toEqual([]);
      expect(await replace(a, newA)).toEqual({ ...moved, changed: false });
      expect(await replace(aaaa, null)).toEqual({ ...dropped, changed: false });

      expect(await replace(null, aaaa)).toEqual({ changed: true, before: null, after: aaaa });
      expect(await replace(newA, a)).toEqual({ changed: true, before: newA, after: a });
      expect(await dig(dns.port, 'imap.example.test', 'AAAA')).toEqual({ rcode: 0, ttl: aaaa.ttl, values: ['2001:db8::10'] });
      expect(await dig(dns.port, 'imap.example.test', 'A')).toEqual({ rcode: 0, ttl: a.ttl, values: ['192.0.2.10'] });
    });

    it('a name that is a CNAME has no address to record, and an address written there fails for good, the CNAME kept', async () => {
      // The runbook stops with DnsMissing when the IMAP host name has neither A nor AAAA.
      expect(await readRecords({ provider: provider(), name: 'webmail.example.test', type: 'A' })).toBeNull();
      const err = await failure(replace(null, rr('webmail.example.test.', 'A', 300, ['198.51.100.7'])));
      // Knot and BIND ignore the add (DnsNotApplied on read-back), PowerDNS refuses it (its API: DnsRejected; RFC 2136: REFUSED).
      expect(err).toMatchObject({ type: expect.stringMatching(/^(DnsNotApplied|DnsRejected|DnsAuthRefused)$/), nonRetryable: true });
      expect(await readRecords({ provider: provider(), name: 'webmail.example.test', type: 'A' })).toBeNull();
      expect(await readRecords({ provider: provider(), name: 'webmail.example.test', type: 'CNAME' })).toEqual(
        rr('webmail.example.test.', 'CNAME', 3600, ['imap.example.test.']),
      );
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
      const check = {
        provider: provider(),
        expected: null,
        name: 'restore.example.test',
        type: 'AAAA',
        nameservers: [`127.0.0.1:${dns.port}`],
        deadlineSeconds: 5,
        intervalSeconds: 0.2,
      };
      expect((await propagation(check)).result.ok).toBe(true);
      expect(await replaceRecords({ provider: provider(), expected: aaaa, next: null })).toEqual({ ...gone, changed: false });

      const back = await replaceRecords({ provider: provider(), expected: null, next: aaaa });
      expect(back).toEqual({ before: null, after: aaaa, changed: true });
      expect(await dig(dns.port, 'restore.example.test', 'AAAA')).toEqual({ rcode: 0, ttl: 3600, values: ['2001:db8::60'] });
      expect(await replaceRecords({ provider: provider(), expected: null, next: aaaa })).toEqual({ ...back, changed: false });

      // Deleted again, then someone else adds an AAAA: putting ours back is a conflict.
      await replaceRecords({ provider: provider(), expected: aaaa, next: null });
      await dns.outsideChange('restore.example.test', 'AAAA', 600, ['2001:db8::61']);
      await expect(replaceRecords({ provider: provider(), expected: null, next: aaaa })).rejects.toMatchObject({
        type: 'DnsConflict',
        details: [{ expected: null }],
      });
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
      await expect(replace(recorded, { ...recorded, ttl: 60 })).rejects.toMatchObject({ type: 'DnsConflict' });
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
        expect(err.message).toMatch(
          dns.hasPrimary ? new RegExp(`^the TSIG key \\S+ was refused by 127\\.0\\.0\\.1:${dns.port} `) : /refused the API key from env:MAILSHIFT_TEST_DNS_/,
        );
        expectNoSecret(err, secrets);
        expect(await readRecords({ provider: provider(), name: 'ttl.example.test', type: 'A' })).toEqual(before);
      });
    }
  });

  describe('checkPropagation', () => {
    it('reports who still answers what when the deadline passes, heartbeating each round', async () => {
      const never = rr('example.test.', 'MX', 3600, ['10 never.example.test.']);
      const t0 = Date.now();
      const { result, heartbeats } = await propagation({
        provider: provider(),
        expected: never,
        nameservers: [`127.0.0.1:${dns.port}`],
        deadlineSeconds: 1,
        intervalSeconds: 0.2,
      });
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(result.ok).toBe(false);
      expect(result.rounds).toBeGreaterThan(1);
      expect(heartbeats.length).toBe(result.rounds);
      expect(heartbeats[0]).toEqual({ round: 1, pending: [`127.0.0.1:${dns.port}`] });
      expect(result.servers).toEqual([
        { server: `127.0.0.1:${dns.port}`, role: 'authoritative', status: 'stale', answer: rr('example.test.', 'MX', 3600, ['10 mail1.example.test.']) },
      ]);
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
      // A server caught mid-shutdown resets the connection instead of refusing it: unreachable all the same.
      expect(read.message).toMatch(/connection refused|no answer|ECONNRESET/);
      const change = await failure(replaceRecords({ provider: provider(), expected: null, next: rr('down.example.test.', 'A', 300, ['192.0.2.99']) }));
      expect(change).toMatchObject({ type: 'DnsUnavailable', nonRetryable: false });
      // The change itself (not only the read before it) finds nobody.
      const p = await openProvider(provider());
      const update = await failure(
        p.replace([{ name: 'down.example.test.', type: 'A', expected: null, next: rr('down.example.test.', 'A', 300, ['192.0.2.99']) }]),
      );
      expect(update).toMatchObject({ type: 'DnsUnavailable', nonRetryable: false, message: expect.stringContaining('connection refused') });
    });
  });
}
