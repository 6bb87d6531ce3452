// The runbook's per-mailbox state as a continue-as-new carries it (workflows/mailbox-columns.ts):
// 100,000 mailboxes fit the payload budget, come back exactly, and when they would not fit,
// only what is shown gives way, never what a phase rule decides by.
import { fromColumns, MAILBOX_COLUMNS_BUDGET_BYTES, toColumns, type RunbookMailboxes } from '../../workflows/mailbox-columns';
import type { RosterEntry } from '../../workflows/mailbox-pages';
import { jsonBytes } from '../../workflows/payload-budget';
import type { MailboxState } from '../../workflows/status';

const N = 100_000;
const roster: RosterEntry[] = Array.from({ length: N }, (_, i) => ({ user: `user${i}@university.example`, wave: `wave-${Math.floor(i / 2_000)}` }));

/** A migration after its final syncs: most mailboxes alike, a few failing, some with users' own mail. */
function midMigration(distinctCopies: boolean): RunbookMailboxes {
  const mailboxes: Record<string, MailboxState> = {};
  const finalSync = { missing: {} as Record<string, number>, failed: {} as Record<string, string> };
  roster.forEach(({ user, wave }, i) => {
    const failing = i % 997 === 0;
    mailboxes[user] = {
      wave,
      usersOnHost2: false,
      synced: true,
      syncedFrom: '2026-12-05T22:00:00.000Z',
      finalSyncFrom: '2026-12-05T22:00:00.000Z',
      ...(i % 50 === 0 && { ownMailOnHost2: i % 7 }),
      size: { host1Bytes: distinctCopies ? 1_000_000 + i : 1_000_000, toCopyBytes: 0, largest: 20_000 },
      last: {
        mailbox: user,
        kind: 'final',
        ok: !failing,
        copied: distinctCopies ? i % 1_000 : 0,
        deleted: 0,
        missing: 0,
        ...(failing && { error: 'host2 refused the login' }),
      },
    };
    if (failing) finalSync.failed[user] = 'host2 refused the login';
    else finalSync.missing[user] = 0;
  });
  return { mailboxes, accessCut: roster.slice(0, 40_000).map((r) => r.user), finalSync };
}

it('carries 100,000 alike mailboxes within the budget and gives every one back exactly', () => {
  const before = midMigration(false);
  const columns = toColumns(roster, before);
  expect(jsonBytes(columns)).toBeLessThan(MAILBOX_COLUMNS_BUDGET_BYTES);
  expect(columns.dropped).toBeUndefined();
  const after = fromColumns(roster, columns);
  // As JSON: one comparison of 100,000 mailboxes, not 100,000 deep ones.
  expect(JSON.stringify(after.mailboxes)).toBe(JSON.stringify(before.mailboxes));
  expect(new Set(after.accessCut)).toEqual(new Set(before.accessCut));
  expect(JSON.stringify(after.finalSync)).toBe(JSON.stringify(before.finalSync));
});

it('when 100,000 distinct figures do not fit, drops only what is shown, keeping every fact a phase rule reads', () => {
  const before = midMigration(true);
  const columns = toColumns(roster, before);
  expect(jsonBytes(columns)).toBeLessThanOrEqual(MAILBOX_COLUMNS_BUDGET_BYTES);
  expect(columns.dropped).toEqual(['last round of mailboxes that did not fail', 'size audit of mailboxes that fit']);
  const after = fromColumns(roster, columns);
  const facts = (m: Record<string, MailboxState>) =>
    JSON.stringify(
      roster.map(({ user }) => {
        const { wave, synced, usersOnHost2, ownMailOnHost2, syncedFrom, finalSyncFrom, last } = m[user];
        // A failing mailbox keeps its last round: the status lists it first, with why.
        return [wave, synced, usersOnHost2, ownMailOnHost2, syncedFrom, finalSyncFrom, last?.ok === false ? last : null];
      }),
    );
  expect(facts(after.mailboxes)).toBe(facts(before.mailboxes));
  expect(Object.values(after.mailboxes).filter((m) => m.last).length).toBe(Math.ceil(N / 997));
  expect(JSON.stringify(after.finalSync)).toBe(JSON.stringify(before.finalSync));
});

it('a migration before its final sync has none after the hand-over either', () => {
  const { mailboxes } = midMigration(false);
  const after = fromColumns(roster, toColumns(roster, { mailboxes, accessCut: [], finalSync: undefined }));
  expect(after.finalSync).toBeUndefined();
  expect(after.accessCut).toEqual([]);
});

describe('a daily byte budget (bytes copied today differ from mailbox to mailbox)', () => {
  const MiB = 1024 * 1024;
  const withBytes = () => {
    const r = midMigration(false);
    roster.forEach(({ user }, i) => (r.mailboxes[user].bytesToday = { day: '2026-12-06', bytes: 1 + ((i * 7_919_993) % (500 * MiB)) }));
    return r;
  };

  it('carries each of 100,000 mailboxes its bytes within the budget, in whole MiB rounded up (never less than used)', () => {
    const before = withBytes();
    const columns = toColumns(roster, before);
    expect(jsonBytes(columns)).toBeLessThanOrEqual(MAILBOX_COLUMNS_BUDGET_BYTES);
    expect(columns.dropped).toBeUndefined();
    const after = fromColumns(roster, columns);
    // One comparison, not 300,000 expectations.
    const off = roster.filter(({ user }) => {
      const [was, is] = [before.mailboxes[user].bytesToday!, after.mailboxes[user].bytesToday];
      return is?.day !== was.day || is.bytes < was.bytes || is.bytes - was.bytes >= MiB;
    });
    expect(off.map((r) => r.user)).toEqual([]);
  });

  it('gives them up last, after every figure only shown, when nothing else is left to give', () => {
    const before = withBytes();
    // Distinct times that a phase rule reads never give way: nothing left but the bytes.
    roster.forEach(({ user }, i) => {
      before.mailboxes[user].syncedFrom = new Date(Date.parse('2026-12-05T22:00:00Z') + i).toISOString();
      before.mailboxes[user].backfilled = i;
    });
    const columns = toColumns(roster, before);
    expect(columns.dropped?.slice(-2)).toEqual(['back-fill counts', 'bytes copied today']);
    const after = fromColumns(roster, columns);
    expect(Object.values(after.mailboxes).some((m) => m.bytesToday || m.backfilled)).toBe(false);
    expect(after.mailboxes[roster[12_345].user].syncedFrom).toBe(before.mailboxes[roster[12_345].user].syncedFrom);
  });
});
