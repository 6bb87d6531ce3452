// Incremental re-syncs against two real Dovecot servers: the state one run returns lets the
// next skip unchanged folders and copy only host1's new mail, and every other change on
// either side (flags, expunges, additions on host2, a new UIDVALIDITY) still ends exactly
// as a full run would. Each step chains the previous step's state, as a workflow does.
// Then a retried activity resuming from its heartbeat checkpoint, and a connection lost
// while copying new mail.
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncHeartbeat, SyncRequest, SyncResult, SyncState } from '../../activities/imap/types';
import { buildCorpus, fingerprints, makeMessage, readMailbox, seedMailbox } from './corpus';
import { onServer, startHosts, uidOf, type Hosts } from './hosts';
import { seedBulk, startThrottle } from '../faults/world';

jest.setTimeout(60_000);

const corpus = buildCorpus({ large: false });
let hosts: Hosts;
let state: SyncState;

const read = (side: 'host1' | 'host2', user = 'kim') => readMailbox(hosts[side], user, hosts.users[user][side].password);
const onHost2 = (folder: string) => (folder === 'Sent Items' ? 'Sent' : folder);
/** host2 holds exactly host1's messages (folders mapped), flags and dates included. */
async function expectInStep(user = 'kim') {
  const [one, two] = await Promise.all([read('host1', user), read('host2', user)]);
  expect(fingerprints(two)).toEqual(fingerprints(one.map((m) => ({ ...m, folder: onHost2(m.folder) }))));
}
const folder = (r: SyncResult, destination: string) => r.folders.find((f) => f.destination === destination)!;
const modes = (r: SyncResult) => Object.fromEntries(r.folders.map((f) => [f.destination, f.mode]));

/** Runs the next round with the last state, and keeps the state it returns (through JSON, as history would). */
async function round(overrides: Partial<SyncRequest> = {}): Promise<SyncResult> {
  const result = await syncMailbox(hosts.request('kim', { previous: state, ...overrides }));
  state = JSON.parse(JSON.stringify(result.state)) as SyncState;
  return result;
}

beforeAll(async () => {
  hosts = await startHosts(['kim', 'lou', 'max', 'nia']);
  for (const user of ['kim', 'lou', 'nia']) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, corpus);
});
afterAll(async () => {
  await hosts?.stop();
});

describe('re-runs with the previous state', () => {
  it('the first sync returns a compact state covering every folder', async () => {
    const first = await syncMailbox(hosts.request('kim'));
    expect(first.totals.copied).toBe(corpus.length);
    expect(first.folders.every((f) => f.mode === 'full' && f.fullReason === undefined)).toBe(true);
    state = first.state;
    expect(state.folders.map((f) => f.destination).sort()).toEqual(first.folders.map((f) => f.destinationPath).sort());
    expect(JSON.stringify(state).length).toBeLessThan(2048 * state.folders.length);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    for (const f of state.folders) expect(f.destinationAt.highestModseq).toMatch(/^\d+$/);
  });

  it('nothing changed: every folder is skipped unlisted, with the same counts a full run reports', async () => {
    const full = await syncMailbox(hosts.request('kim'));
    const again = await round({ deleteOnDestination: true });
    expect(new Set(Object.values(modes(again)))).toEqual(new Set(['unchanged']));
    expect(again.totals).toEqual({ ...full.totals });
    expect(again.totals).toMatchObject({ copied: 0, flagsUpdated: 0, deletedOnDestination: 0, sourceMessages: corpus.length });
    await expectInStep();
  });

  it('a message added on host1 is copied by reading only what is new; other folders stay unlisted', async () => {
    const late = makeMessage({ messageId: '<late-1@x>', subject: 'late', date: new Date('2024-05-01T08:00:00Z'), body: 'new mail' });
    await onServer(hosts, 'host1', 'kim', (c) => c.append('INBOX', late, ['$Label1'], new Date('2024-05-01T08:00:00Z')));
    const result = await round();
    expect(folder(result, 'INBOX')).toMatchObject({ mode: 'incremental', copied: 1, sourceMessages: corpus.filter((m) => m.folder === 'INBOX').length + 1 });
    expect(result.folders.filter((f) => f.destination !== 'INBOX').every((f) => f.mode === 'unchanged')).toBe(true);
    expect(result.totals.copied).toBe(1);
    await expectInStep();
    // And the state moved on: the same again is a no-op.
    expect((await round()).totals.copied).toBe(0);
    expect(folder(await round(), 'INBOX').mode).toBe('unchanged');
  });

  it('a re-flagged message on host1 gets the full comparison of its folder only', async () => {
    const before = await read('host1');
    await onServer(hosts, 'host1', 'kim', async (c) => {
      await c.mailboxOpen('INBOX');
      await c.messageFlagsAdd([uidOf(before, 'INBOX', 'Report number 3.')], ['\\Flagged', 'Urgent'], { uid: true });
    });
    const result = await round();
    expect(folder(result, 'INBOX')).toMatchObject({ mode: 'full', flagsUpdated: 1, copied: 0 });
    expect(folder(result, 'INBOX').fullReason).toMatch(/flags changed/);
    expect(folder(result, 'Archive').mode).toBe('unchanged');
    await expectInStep();
    expect(folder(await round(), 'INBOX').mode).toBe('unchanged');
  });

  it('a message added and another flagged on host1 in the same folder: both handled', async () => {
    const before = await read('host1');
    await onServer(hosts, 'host1', 'kim', async (c, path) => {
      await c.append(
        path('Archive'),
        makeMessage({ messageId: '<late-2@x>', subject: 'late 2', date: new Date('2024-05-02T08:00:00Z'), body: 'x' }),
        [],
        new Date('2024-05-02T08:00:00Z'),
      );
      await c.mailboxOpen(path('Archive'));
      await c.messageFlagsRemove([uidOf(before, 'Archive', 'Old stuff 1')], ['\\Seen'], { uid: true });
    });
    const result = await round();
    expect(folder(result, 'Archive')).toMatchObject({ mode: 'full', fullReason: 'flags changed on host1', copied: 1, flagsUpdated: 1 });
    await expectInStep();
  });

  it('a message deleted on host1 is deleted on host2 with delete2, as a full run would', async () => {
    const before = await read('host1');
    await onServer(hosts, 'host1', 'kim', async (c) => {
      await c.mailboxOpen('INBOX');
      await c.messageDelete([uidOf(before, 'INBOX', 'Report number 4.')], { uid: true });
    });
    const result = await round({ deleteOnDestination: true });
    expect(folder(result, 'INBOX')).toMatchObject({ mode: 'full', deletedOnDestination: 1, copied: 0 });
    expect(folder(result, 'INBOX').fullReason).toMatch(/removed on host1|changed on host1/);
    await expectInStep();
  });

  it('without delete2 the extra copy stays and the folder is no longer in step: the next run compares it again', async () => {
    const before = await read('host1');
    await onServer(hosts, 'host1', 'kim', async (c) => {
      await c.mailboxOpen('INBOX');
      await c.messageDelete([uidOf(before, 'INBOX', 'Report number 5.')], { uid: true });
    });
    const kept = await round();
    expect(folder(kept, 'INBOX')).toMatchObject({ mode: 'full', deletedOnDestination: 0 });
    expect(state.folders.some((f) => f.destination === 'INBOX')).toBe(false);
    const withDelete = await round({ deleteOnDestination: true });
    expect(folder(withDelete, 'INBOX')).toMatchObject({ mode: 'full', deletedOnDestination: 1 });
    await expectInStep();
    expect(state.folders.some((f) => f.destination === 'INBOX')).toBe(true);
  });

  it("changes on host2 (one deleted, one re-flagged) are repaired like a full run; a message added there is the user's own, kept", async () => {
    const two = await read('host2');
    await onServer(hosts, 'host2', 'kim', async (c) => {
      await c.append(
        'Drafts',
        makeMessage({ messageId: '<stray@x>', subject: 'stray', date: new Date('2024-01-01T00:00:00Z'), body: 's' }),
        [],
        new Date('2024-01-01T00:00:00Z'),
      );
      await c.mailboxOpen('Archive/2024');
      await c.messageDelete([uidOf(two, 'Archive/2024', 'Year 0')], { uid: true });
      await c.mailboxOpen('Sent');
      await c.messageFlagsRemove([uidOf(two, 'Sent', 'My answer 2')], ['\\Seen'], { uid: true });
    });
    const result = await round({ deleteOnDestination: true });
    // It arrived on host2 after the last sync, from someone else: never deleted (keep-own-mail.test.ts).
    expect(folder(result, 'Drafts')).toMatchObject({ mode: 'full', fullReason: 'host2 folder changed', deletedOnDestination: 0, keptOnDestination: 1 });
    expect(folder(result, 'Archive/2024')).toMatchObject({ mode: 'full', fullReason: 'host2 folder changed', copied: 1 });
    expect(folder(result, 'Sent')).toMatchObject({ mode: 'full', fullReason: 'host2 folder changed', flagsUpdated: 1 });
    expect(folder(result, 'INBOX').mode).toBe('unchanged');
    expect(state.folders.some((f) => f.destination === 'Drafts')).toBe(false);
    // The user deletes it on host2: the next run finds Drafts in step again.
    const stray = uidOf(await read('host2'), 'Drafts', 'stray');
    await onServer(hosts, 'host2', 'kim', async (c) => {
      await c.mailboxOpen('Drafts');
      await c.messageDelete([stray], { uid: true });
    });
    expect(folder(await round({ deleteOnDestination: true }), 'Drafts')).toMatchObject({ mode: 'full', deletedOnDestination: 0, copied: 0 });
    expect(state.folders.some((f) => f.destination === 'Drafts')).toBe(true);
    await expectInStep();
  });

  it('a new UIDVALIDITY on host1 falls back to the full comparison, even when the counters look the same', async () => {
    const jp = (await read('host1')).filter((m) => m.folder === 'Projets/日本語').sort((a, b) => a.uid - b.uid);
    expect(jp).toHaveLength(2);
    const recorded = state.folders.find((f) => f.destination === 'Projets/日本語')!;
    // Recreated with as many messages (UIDNEXT and MESSAGES as before), one of them different.
    await onServer(hosts, 'host1', 'kim', async (c, path) => {
      await c.mailboxDelete(path('Projets/日本語'));
      await c.mailboxCreate(path('Projets/日本語'));
      await c.append(path('Projets/日本語'), jp[0].source, jp[0].flags, new Date(jp[0].internalDate));
      await c.append(
        path('Projets/日本語'),
        makeMessage({ messageId: '<jp-new@x>', subject: 'replaced', date: new Date('2024-02-02T00:00:00Z'), body: 'nouveau' }),
        [],
        new Date('2024-02-02T00:00:00Z'),
      );
      const status = await c.status(path('Projets/日本語'), { uidNext: true, messages: true, uidValidity: true });
      if (!status) throw new Error('no STATUS');
      expect(status.uidValidity?.toString()).not.toBe(recorded.sources[0].at.uidValidity);
      expect([status.uidNext, status.messages]).toEqual([recorded.sources[0].at.uidNext, recorded.sources[0].at.messages]);
    });
    const result = await round({ deleteOnDestination: true });
    expect(folder(result, 'Projets/日本語')).toMatchObject({ mode: 'full', fullReason: 'UIDVALIDITY changed on host1', copied: 1, deletedOnDestination: 1 });
    await expectInStep();
  });

  it('a state from another mailbox pair is ignored; a dry run returns the state it was given', async () => {
    const other = await syncMailbox(hosts.request('lou', { previous: state }));
    expect(other.totals.copied).toBe(corpus.length);
    expect(other.folders.every((f) => f.mode === 'full')).toBe(true);
    const dry = await syncMailbox(hosts.request('kim', { previous: state, dryRun: true }));
    expect(dry.state).toEqual(state);
    expect(dry.folders.every((f) => f.mode === 'unchanged')).toBe(true);
  });

  it('delete-on-source runs never skip a folder (its in-scope messages must go) and keep no state', async () => {
    const result = await syncMailbox(hosts.request('kim', { previous: state, folders: { include: ['^Junk$'] }, deleteOnSource: true }));
    expect(result.folders).toHaveLength(1);
    expect(result.folders[0]).toMatchObject({ destination: 'Junk', mode: 'full', deletedOnSource: 1 });
    expect(result.state.folders).toEqual([]);
  });
});

describe('a retried activity', () => {
  it('resumes from its heartbeat checkpoint: finished folders are not redone, nothing is duplicated', async () => {
    // lou's host2 is complete from the test above: copy lou's host1 mailbox to max's, empty.
    const req = hosts.request('lou', { tuning: { parallelFolders: 1, batchMessages: 2 } });
    req.destination = hosts.account(hosts.host2, hosts.users.max.host2);

    const first = new MockActivityEnvironment();
    let last: SyncHeartbeat | undefined;
    first.on('heartbeat', (d: SyncHeartbeat) => {
      last = d;
      if ((d.checkpoint?.folders.length ?? 0) >= 2 && d.copied > 0) first.cancel();
    });
    const err = await first.run(syncMailbox, req).catch((e: unknown) => e);
    if (!(err instanceof CancelledFailure)) throw err;
    const finished = last!.checkpoint!.folders.map((f) => f.destination);
    expect(finished.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(last)).not.toContain(hosts.users.max.host2.password);

    const retry = new MockActivityEnvironment({ heartbeatDetails: JSON.parse(JSON.stringify(last)) });
    const result = (await retry.run(syncMailbox, req)) as SyncResult;
    for (const name of finished) expect(folder(result, name)).toMatchObject({ mode: 'full', resumed: true });
    expect(result.folders.filter((f) => !f.resumed).length).toBeGreaterThan(0);
    // Totals over both attempts: every message once.
    expect(result.totals.copied).toBe(corpus.length);
    const [one, two] = await Promise.all([read('host1', 'lou'), read('host2', 'max')]);
    expect(fingerprints(two)).toEqual(fingerprints(one.map((m) => ({ ...m, folder: onHost2(m.folder) }))));
  });

  it('a connection lost while copying new mail: the folder is compared in full when redone, nothing copied twice', async () => {
    // host2 at 100 KB/s (the same address for both runs: a state is kept per endpoint pair).
    const throttle = await startThrottle(hosts.host2.port, 100 * 1024);
    try {
      const req = hosts.request('nia', { tuning: { batchMessages: 1, parallelFolders: 1 } });
      req.destination.endpoint.port = throttle.port;
      const first = await syncMailbox(req);
      // New mail of ~600 KB: seconds to copy, long enough to cut it off.
      await seedBulk(hosts.host1, 'nia', hosts.users.nia.host1.password, { folder: 'INBOX', count: 20, tag: 'later', largeEvery: 1, largeBytes: 30_000 });
      let kicked = false;
      const result = await syncMailbox({ ...req, previous: first.state }, (p) => {
        if (!kicked && p.copied > 0) {
          kicked = true;
          hosts.host2.kick('nia');
        }
      });
      expect(kicked).toBe(true);
      expect(folder(result, 'INBOX')).toMatchObject({ mode: 'full', fullReason: 'connection lost mid-folder' });
      expect(result.folders.filter((f) => f.destination !== 'INBOX').every((f) => f.mode === 'unchanged')).toBe(true);
    } finally {
      await throttle.close();
    }
    await expectInStep('nia');
  });
});
