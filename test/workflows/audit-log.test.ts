// The bounded audit log on its own: what it clips, keeps, leaves out and counts.
import type { AuditEntry } from '../../workflows/audit';
import { AUDIT_BUDGET_BYTES, AuditLog, entriesWritten } from '../../workflows/audit-log';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
const refused = (i: number, by = `stranger-${i}`): AuditEntry => ({
  at: at(i),
  kind: 'refused',
  what: 'approve',
  by,
  reason: 'not an approver',
  via: 'signal',
});
const notice = (i: number): AuditEntry => ({ at: at(i), kind: 'notice', notice: 'approver-gate-reminder', to: 1 });
const view = (log: AuditLog) => ({ audit: log.entries, auditOmitted: log.omitted });

it('clips every text: names to 200 characters, comments and errors to 2,000, saying how much was cut', () => {
  const log = new AuditLog();
  log.push({ at: at(0), kind: 'approval', gate: 'start', by: 'b'.repeat(250), comment: 'c'.repeat(5_000), via: 'signal' });
  log.push({ at: at(1), kind: 'step-failed', step: 'pre-sync', error: 'e'.repeat(3_000), changed: [] });
  const [approval, failed] = log.entries;
  expect(approval).toMatchObject({ by: `${'b'.repeat(187)}…(+63 chars)`, comment: `${'c'.repeat(1_986)}…(+3014 chars)` });
  expect(failed).toMatchObject({ error: `${'e'.repeat(1_986)}…(+1014 chars)` });
  // Clipped again (a log carried over), a clipped text stays as it is.
  expect(new AuditLog(log.entries).entries).toEqual(log.entries);
});

it('keeps the first 10 and the latest 20 refusals, and every other entry among them', () => {
  const log = new AuditLog();
  for (let i = 0; i < 1_000; i++) log.push(i % 100 === 0 ? notice(i) : refused(i));
  const kept = log.entries;
  const refusals = kept.filter((e) => e.kind === 'refused').map((e) => (e as { by: string }).by);
  expect(refusals).toEqual([...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `stranger-${i}`), ...Array.from({ length: 20 }, (_, k) => `stranger-${980 + k}`)]);
  expect(kept.filter((e) => e.kind === 'notice')).toHaveLength(10);
  expect(log.omitted).toEqual({ entries: 960, kinds: { refused: 960 }, from: at(11), until: at(979) });
  expect(entriesWritten(view(log))).toBe(1_000);
  expect(log.count('refused')).toBe(990);
});

it('past its budget leaves out the oldest entries after the first 20, still counting them', () => {
  const log = new AuditLog();
  const big = (i: number): AuditEntry => ({ at: at(i), kind: 'control', action: 'pause', by: 'operator', comment: 'c'.repeat(1_900) });
  for (let i = 0; i < 500; i++) log.push(i % 2 ? big(i) : notice(i));
  expect(JSON.stringify(log.entries).length).toBeLessThanOrEqual(AUDIT_BUDGET_BYTES);
  expect(log.entries.slice(0, 20).map((e) => e.at)).toEqual(Array.from({ length: 20 }, (_, i) => at(i))); // the first entries stay
  expect(log.entries.at(-1)?.at).toBe(at(499)); // and the latest
  expect(log.count('notice')).toBe(250); // what sendNotice's idempotency keys count on
  expect(log.count('control')).toBe(250);
  expect(entriesWritten(view(log))).toBe(500);
});

it('carried through continue-as-new, goes on counting what it left out', () => {
  const first = new AuditLog();
  for (let i = 0; i < 100; i++) first.push(refused(i));
  const resumed = new AuditLog(first.entries, first.omitted);
  expect(resumed.entries).toEqual(first.entries);
  resumed.push(refused(100));
  expect(resumed.omitted?.entries).toBe(71);
  expect(resumed.count('refused')).toBe(101);
  // A snapshot from before the log was bounded is bounded on the way in.
  const old = new AuditLog(Array.from({ length: 100 }, (_, i) => refused(i, 'x'.repeat(1_000))));
  expect(old.entries).toHaveLength(30);
  expect((old.entries[0] as { by: string }).by).toBe(`${'x'.repeat(186)}…(+814 chars)`);
});
