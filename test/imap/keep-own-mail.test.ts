// Users who start working on host2 between two pre-syncs (issue 12, point 3; imapsync's FAQ:
// never --delete2 once users play on host2). Pre-syncs run with deleteOnDestination, so
// host2 messages that host1 lacks are expunged. A message that arrived on host2 after the
// previous sync of its folder was put there by someone else (UIDs are exact about it): it
// is the user's own, kept and reported, on that run and on every later one, while what
// host1 deleted is still deleted on host2. Against two real Dovecot servers, each run fed
// the previous run's state through JSON, as workflow history carries it.
import { MockActivityEnvironment } from '@temporalio/testing';
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncHeartbeat, SyncRequest, SyncResult, SyncState } from '../../activities/imap/types';
import { buildCorpus, makeMessage, readMailbox, seedMailbox, type StoredMessage } from './corpus';
import { onServer, startHosts, uidOf, type Hosts } from './hosts';

jest.setTimeout(60_000);

const corpus = buildCorpus({ large: false });
const USERS = ['ann', 'ben', 'cid', 'dee', 'eve'];
let hosts: Hosts;

const read = (side: 'host1' | 'host2', user: string) => readMailbox(hosts[side], user, hosts.users[user][side].password);
const folder = (r: SyncResult, destination: string) => r.folders.find((f) => f.destination === destination)!;
const kept = (r: SyncResult, destination: string) => folder(r, destination).keptOnDestination ?? 0;
const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

const holds = (messages: StoredMessage[], folderName: string, marker: string) => messages.some((m) => m.folder === folderName && m.source.includes(marker));

/** A user working on host2: a message of their own, APPENDed there directly. */
async function userAppends(user: string, logical: string, marker: string): Promise<void> {
  const date = new Date('2024-06-01T09:00:00Z');
  const raw = makeMessage({ messageId: `<${marker}@host2.example.org>`, subject: marker, date, body: `Written on host2: ${marker}` });
  await onServer(hosts, 'host2', user, (c, path) => c.append(path(logical), raw, ['\\Seen'], date));
}

async function host1Deletes(user: string, logical: string, marker: string): Promise<void> {
  const uid = uidOf(await read('host1', user), logical, marker);
  await onServer(hosts, 'host1', user, async (c, path) => {
    await c.mailboxOpen(path(logical));
    await c.messageDelete([uid], { uid: true });
  });
}

async function host1Receives(user: string, logical: string, marker: string): Promise<void> {
  const date = new Date('2024-06-02T09:00:00Z');
  const raw = makeMessage({ messageId: `<${marker}@example.net>`, subject: marker, date, body: `Delivered to host1: ${marker}` });
  await onServer(hosts, 'host1', user, (c, path) => c.append(path(logical), raw, [], date));
}

/** A pre-sync: delete2 on, the previous run's state, its own state returned through JSON. */
async function preSync(user: string, previous: SyncState | undefined, overrides: Partial<SyncRequest> = {}): Promise<SyncResult> {
  const result = await syncMailbox(hosts.request(user, { deleteOnDestination: true, ...(previous && { previous }), ...overrides }));
  return json(result);
}

beforeAll(async () => {
  hosts = await startHosts(USERS);
  for (const user of USERS) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
});

describe('a user who starts working on host2 between pre-syncs', () => {
  let state: SyncState;
  let second: SyncResult;

  it('the next pre-sync keeps the mail they put there and reports it, and still deletes what host1 deleted', async () => {
    state = (await preSync('ann', undefined)).state;
    await userAppends('ann', 'INBOX', 'own-inbox');
    await userAppends('ann', 'Archive', 'own-archive');
    await host1Deletes('ann', 'INBOX', 'Report number 4.');
    await host1Receives('ann', 'INBOX', 'late-a');

    // A dry run says exactly what the real run does.
    const dry = await preSync('ann', state, { dryRun: true });
    second = await preSync('ann', state);
    for (const r of [dry, second]) {
      expect(folder(r, 'INBOX')).toMatchObject({ mode: 'full', deletedOnDestination: 1, keptOnDestination: 1, copied: 1 });
      expect(folder(r, 'Archive')).toMatchObject({ mode: 'full', fullReason: 'host2 folder changed', deletedOnDestination: 0, keptOnDestination: 1 });
      expect(r.totals).toMatchObject({ deletedOnDestination: 1, keptOnDestination: 2, copied: 1 });
    }
    const two = await read('host2', 'ann');
    expect(holds(two, 'INBOX', 'own-inbox')).toBe(true);
    expect(holds(two, 'Archive', 'own-archive')).toBe(true);
    expect(holds(two, 'INBOX', 'Report number 4.')).toBe(false);
    expect(holds(two, 'INBOX', 'late-a')).toBe(true);
    // Folders holding kept mail are not recorded in step (host2 holds more than host1's).
    const inStep = second.state.folders.map((f) => f.destination);
    expect(inStep).not.toContain('INBOX');
    expect(inStep).not.toContain('Archive');
    expect(inStep).toContain('Drafts');
  });

  it('once kept, always kept: later pre-syncs keep it again, and a copy whose original host1 deleted since still goes', async () => {
    // late-a was copied by the second pre-sync, above the mail the user put there.
    await host1Deletes('ann', 'INBOX', 'late-a');
    await host1Deletes('ann', 'INBOX', 'Report number 5.');
    const third = await preSync('ann', second.state);
    expect(folder(third, 'INBOX')).toMatchObject({ mode: 'full', deletedOnDestination: 2, keptOnDestination: 1, copied: 0 });
    expect(folder(third, 'Archive')).toMatchObject({ deletedOnDestination: 0, keptOnDestination: 1 });
    expect(folder(third, 'Drafts').mode).toBe('unchanged');
    let two = await read('host2', 'ann');
    expect(holds(two, 'INBOX', 'late-a')).toBe(false);
    expect(holds(two, 'INBOX', 'Report number 5.')).toBe(false);

    // And again with nothing changed, and again with more mail of theirs.
    const fourth = await preSync('ann', third.state);
    expect(fourth.totals).toMatchObject({ deletedOnDestination: 0, keptOnDestination: 2, copied: 0 });
    await userAppends('ann', 'INBOX', 'own-inbox-2');
    const fifth = await preSync('ann', fourth.state);
    expect(folder(fifth, 'INBOX')).toMatchObject({ deletedOnDestination: 0, keptOnDestination: 2 });
    two = await read('host2', 'ann');
    for (const marker of ['own-inbox', 'own-inbox-2']) expect(holds(two, 'INBOX', marker)).toBe(true);
    expect(holds(two, 'Archive', 'own-archive')).toBe(true);
  });
});

it('a run without delete2 records what it found too: the next run with delete2 keeps it', async () => {
  const first = await preSync('ben', undefined, { deleteOnDestination: false });
  await userAppends('ben', 'INBOX', 'own-ben');
  await host1Deletes('ben', 'INBOX', 'Report number 4.');
  const second = await preSync('ben', first.state, { deleteOnDestination: false });
  expect(folder(second, 'INBOX')).toMatchObject({ deletedOnDestination: 0, keptOnDestination: 1 });
  const third = await preSync('ben', second.state);
  expect(folder(third, 'INBOX')).toMatchObject({ deletedOnDestination: 1, keptOnDestination: 1 });
  const two = await read('host2', 'ben');
  expect(holds(two, 'INBOX', 'own-ben')).toBe(true);
  expect(holds(two, 'INBOX', 'Report number 4.')).toBe(false);
});

it("runs that keep no incremental state (here min-age) still tell the user's mail apart", async () => {
  const first = await preSync('cid', undefined, { minAgeDays: 0 });
  expect(first.state.folders).toEqual([]);
  await userAppends('cid', 'INBOX', 'own-cid');
  await host1Deletes('cid', 'INBOX', 'Report number 4.');
  const second = await preSync('cid', first.state, { minAgeDays: 0 });
  expect(folder(second, 'INBOX')).toMatchObject({ deletedOnDestination: 1, keptOnDestination: 1 });
  expect(holds(await read('host2', 'cid'), 'INBOX', 'own-cid')).toBe(true);
});

it('a retried attempt uses the marks in its heartbeat checkpoint', async () => {
  const first = await preSync('dee', undefined);
  await userAppends('dee', 'INBOX', 'own-dee');
  await host1Deletes('dee', 'INBOX', 'Report number 4.');
  // The request carries no state (say the round's payload had no room for it); the checkpoint does.
  const details: Partial<SyncHeartbeat> = { checkpoint: { state: first.state, folders: [] } };
  const retry = new MockActivityEnvironment({ heartbeatDetails: json(details) });
  const result = (await retry.run(syncMailbox, hosts.request('dee', { deleteOnDestination: true }))) as SyncResult;
  expect(folder(result, 'INBOX')).toMatchObject({ deletedOnDestination: 1, keptOnDestination: 1 });
  expect(holds(await read('host2', 'dee'), 'INBOX', 'own-dee')).toBe(true);
});

it("without any previous state nothing tells a user's message from a stale copy: delete2 deletes it, as before (preflight's verification finds those)", async () => {
  await preSync('eve', undefined, { deleteOnDestination: false });
  await userAppends('eve', 'INBOX', 'own-eve');
  const result = await preSync('eve', undefined);
  expect(folder(result, 'INBOX')).toMatchObject({ deletedOnDestination: 1 });
  expect(kept(result, 'INBOX')).toBe(0);
  expect(result.totals.keptOnDestination).toBe(0);
  expect(holds(await read('host2', 'eve'), 'INBOX', 'own-eve')).toBe(false);
});
