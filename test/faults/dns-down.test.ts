// The DNS server is down when the MX must switch (real Knot taking TSIG-signed RFC 2136
// updates, the real DNS activities): the switch fails retryably, the zone is exactly as
// it was once Knot is back (same directory, same port), and the retry switches it. When
// someone else changed the MX meanwhile, the retry is a non-retryable DnsConflict naming
// the record, and the other person's record stays. Every record of the zone is read back
// after every step, the way a resolver would (dig over UDP).
import { ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRecords, replaceRecords } from '../../activities/dns';
import type { RRset } from '../../activities/dns/records';
import { DNS_CONFLICT, DNS_UNAVAILABLE } from '../../activities/dns/errors';
import { demoZoneRecords } from '../../scripts/sandbox/layout';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { dig } from '../dns/dig';

jest.setTimeout(90_000);

const zone = 'example.test';
let dir: string;
let knot: KnotServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-faults-dns-'));
  knot = await startKnot({ dir, zone, records: demoZoneRecords });
});

afterAll(async () => {
  await knot?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const provider = () => ({ kind: 'rfc2136' as const, server: '127.0.0.1', port: knot.port, tsigKey: `file:${knot.keyFile}` });

/** The whole zone as a resolver sees it. */
async function zoneNow() {
  const q = async (name: string, type: 'A' | 'MX') => {
    const r = await dig(knot.port, name, type);
    return `${name} ${type} ${r.ttl} ${[...r.values].sort().join(',')}`;
  };
  return [await q('example.test', 'MX'), await q('mail1.example.test', 'A'), await q('mail2.example.test', 'A'), await q('imap.example.test', 'A')];
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

/** Step 8 as workflows/dns-steps.ts runs it: from the MX it recorded to host2's, at the low TTL. */
const moveMx = (recorded: RRset | null, host: string) =>
  replaceRecords({ provider: provider(), zone, expected: recorded, next: { name: 'example.test.', type: 'MX', ttl: 300, values: [`10 ${host}`] } });

async function restartKnot() {
  knot = await startKnot({ dir, zone, records: demoZoneRecords, port: knot.port });
}

it('Knot down at the switch: a retryable failure, the zone unchanged once Knot is back, the retry switches', async () => {
  const before = await readRecords({ provider: provider(), zone, name: 'example.test.', type: 'MX' });
  expect(before).toMatchObject({ values: ['10 mail1.example.test.'] });
  const zoneBefore = await zoneNow();

  await knot.stop();
  const started = Date.now();
  const failure = await failureOf(moveMx(before, 'mail2.example.test.'));
  expect(failure.type).toBe(DNS_UNAVAILABLE);
  expect(failure.nonRetryable).toBeFalsy();
  expect(failure.message).toContain(`127.0.0.1`);
  expect(Date.now() - started).toBeLessThan(30_000);

  await restartKnot();
  expect(await zoneNow()).toEqual(zoneBefore);

  // The retry, with the same input, as Temporal would run it.
  const r = await moveMx(before, 'mail2.example.test.');
  expect(r.changed).toBe(true);
  expect(r.before).toEqual(before);
  const zoneAfter = await zoneNow();
  expect(zoneAfter[0]).toBe('example.test MX 300 10 mail2.example.test.');
  expect(zoneAfter.slice(1)).toEqual(zoneBefore.slice(1));

  // A repeat (an attempt whose answer was lost) changes nothing and reports the same before-state.
  const again = await moveMx(before, 'mail2.example.test.');
  expect(again).toEqual({ ...r, changed: false });
  expect(await zoneNow()).toEqual(zoneAfter);

  // Knot keeps the change across a restart (same directory).
  await knot.stop();
  await restartKnot();
  expect(await zoneNow()).toEqual(zoneAfter);
});

it('someone else changed the MX while Knot was down: a non-retryable DnsConflict naming the record, their record kept', async () => {
  const recorded = await readRecords({ provider: provider(), zone, name: 'example.test.', type: 'MX' });
  await knot.stop();
  const down = await failureOf(moveMx(recorded, 'mx.host2.example.test.'));
  expect(down.type).toBe(DNS_UNAVAILABLE);
  await restartKnot();

  // Another admin's change, made through their own tools.
  const theirs = { name: 'example.test.', type: 'MX', ttl: 600, values: ['20 backup.example.test.'] };
  await replaceRecords({ provider: provider(), zone, expected: recorded, next: theirs });
  const zoneTheirs = await zoneNow();
  expect(zoneTheirs[0]).toBe('example.test MX 600 20 backup.example.test.');

  const conflict = await failureOf(moveMx(recorded, 'mx.host2.example.test.'));
  expect(conflict.type).toBe(DNS_CONFLICT);
  expect(conflict.nonRetryable).toBe(true);
  expect(conflict.message).toMatch(/example\.test\.? MX/);
  expect(conflict.message).toContain('20 backup.example.test.');
  expect(conflict.message).not.toContain(knot.key.secret);
  expect(await zoneNow()).toEqual(zoneTheirs);
});
