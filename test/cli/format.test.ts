// The status screen's mailbox lines: what a count means depends on the round that found it.
import { renderStatus } from '../../scripts/cli/format';
import { sizeLine } from '../../scripts/cli/mailbox';
import type { MailboxState, MigrationStatus } from '../../workflows/status';

const status = (alice: MailboxState): MigrationStatus => ({
  name: 'acme',
  scenario: 'classical',
  phase: 'waiting for start',
  paused: false,
  mailboxes: { alice },
  rounds: [],
  steps: ['preflight'],
  currentStep: 0,
  dns: { before: [], now: [] },
  waves: [],
  audit: [],
});
const line = (alice: MailboxState) =>
  renderStatus({ workflowId: 'migration-acme', execution: 'RUNNING', status: status(alice) }, new Date())
    .split('\n')
    .find((l) => l.startsWith('  alice'))!;

it('before the first copy, messages not on host2 yet are not an alarm', () => {
  const l = line({ wave: 'all', usersOnHost2: false, last: { mailbox: 'alice', ok: true, copied: 0, deleted: 0, missing: 8, kind: 'verify' } });
  expect(l).toMatch(/last verify ok, 8 not copied yet$/);
  expect(l).not.toMatch(/MISSING/);
  expect(line({ wave: 'all', usersOnHost2: false, last: { mailbox: 'alice', ok: true, copied: 0, deleted: 0, missing: 0, kind: 'verify' } })).toMatch(
    /last verify ok, nothing to copy$/,
  );
});

it('messages a final sync left missing on host2 are', () => {
  const l = line({ wave: 'all', usersOnHost2: false, last: { mailbox: 'alice', ok: true, copied: 3, deleted: 0, missing: 2, kind: 'final' } });
  expect(l).toMatch(/last final ok, 3 copied, 2 MISSING$/);
});

it("each wave's line says how much of its mail host1's MTA holds, or that it goes to host2", () => {
  const wave = (name: string) => ({ wave: name, mailboxes: 1, synced: 1, failed: 0, cut: 1, onHost2: 0 });
  const s: MigrationStatus = {
    ...status({ wave: 'w1', usersOnHost2: false }),
    waves: [wave('w1'), wave('w2'), wave('w3')],
    mailHold: { w1: { held: 0, released: true }, w2: { held: 4, released: false } },
  };
  const lines = renderStatus({ workflowId: 'migration-acme', execution: 'RUNNING', status: s }, new Date()).split('\n');
  expect(lines.filter((l) => l.startsWith('wave '))).toEqual([
    'wave w1: 1 mailbox(es), 1 synced, 0 failed, 1 cut from host1, 0 on host2, mail re-routed to host2',
    "wave w2: 1 mailbox(es), 1 synced, 0 failed, 1 cut from host1, 0 on host2, 4 message(s) held on host1's MTA",
    'wave w3: 1 mailbox(es), 1 synced, 0 failed, 1 cut from host1, 0 on host2',
  ]);
});

it("one mailbox's size audit in a line: its sizes, host2's room and the verdict in numbers", () => {
  const MiB = 1024 * 1024;
  expect(sizeLine({ host1Bytes: 3 * MiB, toCopyBytes: 2 * MiB, largest: MiB, quotaFree: 10 * MiB })).toBe(
    '3.0 MiB on host1 (largest message 1.0 MiB), 2.0 MiB to copy; host2 quota leaves 10.0 MiB; fits',
  );
  expect(
    sizeLine({
      host1Bytes: 31 * MiB,
      toCopyBytes: 31 * MiB,
      largest: 30 * MiB,
      appendLimit: 25 * MiB,
      doesNotFit: 'largest message 30.0 MiB, host2 accepts at most 25.0 MiB',
    }),
  ).toBe(
    '31.0 MiB on host1 (largest message 30.0 MiB), 31.0 MiB to copy; no quota on host2, host2 accepts messages up to 25.0 MiB; ' +
      'DOES NOT FIT: largest message 30.0 MiB, host2 accepts at most 25.0 MiB',
  );
});
