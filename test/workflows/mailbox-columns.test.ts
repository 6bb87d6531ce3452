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
