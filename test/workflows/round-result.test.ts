// A round page's outcomes as the runbook receives them (workflows/round-result.ts): packed by
// column they come back exactly, and a page of 1,000 alike outcomes takes a small part of
// what the list of them took in the runbook's history.
import { packOutcomes, unpackOutcomes } from '../../workflows/round-result';
import { jsonBytes } from '../../workflows/payload-budget';
import type { MailboxOutcome } from '../../workflows/round-outcome';

const page: MailboxOutcome[] = Array.from({ length: 1_000 }, (_, i) => ({
  mailbox: `user${String(i).padStart(6, '0')}@university.example`,
  ok: i % 97 !== 0,
  copied: i % 3,
  deleted: 0,
  missing: 0,
  ...(i % 97 === 0 && { error: `host1 refused the login of user${i}` }),
  ...(i % 10 === 0 && { size: { host1Bytes: 1_000_000, toCopyBytes: 0, largest: 20_000 } }),
  ...(i < 20 && { state: { version: 1 as const, pair: 'p', takenAt: `2026-12-06T00:00:${String(i).padStart(2, '0')}Z`, folders: [] } }),
}));

it('gives back every outcome exactly, in order', () => {
  expect(JSON.stringify(unpackOutcomes(packOutcomes(page)))).toBe(JSON.stringify(page));
  expect(unpackOutcomes([])).toEqual([]);
  expect(unpackOutcomes(packOutcomes([]))).toEqual([]);
});

it('takes a page of alike outcomes in a fraction of the bytes', () => {
  expect(jsonBytes(packOutcomes(page))).toBeLessThan(jsonBytes(page) / 2);
});

it('takes the outcomes of a child that returned them as a list (a runbook begun before packing)', () => {
  expect(unpackOutcomes(page)).toBe(page);
});
