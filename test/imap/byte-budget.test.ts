// A sync with a byte budget (SyncRequest.maxBytes: what is left of the accounts' daily
// budget) against real Dovecot servers: it stops before the message that would pass the
// budget, keeping the folders it finished as its state, and the next call goes on from
// there: every message is copied exactly once over the calls, the last one ends byte-exact.
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncResult, SyncState } from '../../activities/imap/types';
import { buildCorpus, fingerprints, readMailbox, seedMailbox } from './corpus';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(120_000);

const corpus = buildCorpus();
const total = corpus.reduce((n, m) => n + m.raw.length, 0);
const largest = Math.max(...corpus.map((m) => m.raw.length));
const expected = fingerprints(
  corpus.map((m) => ({ folder: m.folder === 'Sent Items' ? 'Sent' : m.folder, raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() })),
);
let hosts: Hosts;

beforeAll(async () => {
  hosts = await startHosts(['dan', 'eve']);
  for (const u of ['dan', 'eve']) await seedMailbox(hosts.host1, u, hosts.users[u].host1.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
});

const host2 = (user = 'dan') => readMailbox(hosts.host2, user, hosts.users[user].host2.password);

it('stops at the budget, and the next calls go on from there without copying anything twice', async () => {
  // Three days' worth, and no message larger than a day.
  const budget = Math.max(largest, Math.ceil(total / 3));
  const runs: SyncResult[] = [];
  let previous: SyncState | undefined;
  do {
    const r = await syncMailbox(hosts.request('dan', { maxBytes: budget, ...(previous && { previous }) }));
    runs.push(r);
    previous = r.state;
    expect(r.byteBudget!.spent).toBeLessThanOrEqual(budget);
    // What host2 holds is exactly what the calls so far say they copied.
    const stored = await host2();
    expect(stored.reduce((n, m) => n + m.size, 0)).toBe(runs.reduce((n, x) => n + x.byteBudget!.spent, 0));
  } while (runs.at(-1)!.byteBudget!.reached && runs.length < 10);

  expect(runs[0].byteBudget).toMatchObject({ reached: true });
  expect(runs[0].byteBudget!.spent).toBeGreaterThan(0);
  expect(runs.at(-1)!.byteBudget!.reached).toBe(false);
  expect(runs.length).toBeGreaterThanOrEqual(3);
  // Every byte once: no message copied again after a stop.
  expect(runs.reduce((n, r) => n + r.byteBudget!.spent, 0)).toBe(total);
  expect(fingerprints(await host2())).toEqual(expected);
  // The stopped runs kept the folders they finished: the next call skipped them as unchanged.
  expect(runs[1].folders.some((f) => f.mode === 'unchanged')).toBe(true);
});

it('a budget smaller than the next message copies nothing and says it stopped there', async () => {
  const r = await syncMailbox(hosts.request('eve', { maxBytes: 1 }));
  expect(r.byteBudget).toEqual({ spent: 0, reached: true });
  expect(r.totals.copied).toBe(0);
  expect(await host2('eve')).toEqual([]);
});
