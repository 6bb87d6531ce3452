// The maps mailshift owns on host1's MTA: its entries come and go, the operator's lines stay,
// and a repeated change changes nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mapKeys, updateMap } from '../../activities/mail-flow/hold-map';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'mailshift-map-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it("sets and removes entries idempotently, keeping the operator's own lines", async () => {
  const file = path.join(dir, 'transport');
  const own = '# the operator\npostmaster@example.test lmtp:inet:10.0.0.9:24\n';
  writeFileSync(file, own);
  const to2 = new Map([['alice@example.test', 'lmtp:inet:10.0.0.2:24']]);
  expect(await updateMap(file, to2)).toBe(true);
  expect(await updateMap(file, to2)).toBe(false);
  expect(readFileSync(file, 'utf8')).toBe(`${own}alice@example.test lmtp:inet:10.0.0.2:24\n`);
  expect(await mapKeys(file)).toEqual(new Set(['postmaster@example.test', 'alice@example.test']));
  // A changed value is a change; so is a removal, once.
  expect(await updateMap(file, new Map([['alice@example.test', 'smtp:[mail2]:25']]))).toBe(true);
  expect(await updateMap(file, new Map([['alice@example.test', null]]))).toBe(true);
  expect(await updateMap(file, new Map([['alice@example.test', null]]))).toBe(false);
  expect(readFileSync(file, 'utf8')).toBe(own);
});

it('a map that does not exist yet has no keys and is created on the first entry', async () => {
  const file = path.join(dir, 'hold');
  expect(await mapKeys(file)).toEqual(new Set());
  expect(await updateMap(file, new Map([['bob@example.test', null]]))).toBe(false);
  expect(await updateMap(file, new Map([['bob@example.test', 'HOLD']]))).toBe(true);
  expect(readFileSync(file, 'utf8')).toBe('bob@example.test HOLD\n');
});
