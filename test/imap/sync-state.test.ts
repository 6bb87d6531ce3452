// The per-folder decision a previous SyncState allows, without servers: what is skipped,
// what is read incrementally, what falls back to the full comparison, and which states
// are not trusted at all.
import { decideFolder, pairKey, scopeKey, usableFolders, type FolderNow } from '../../activities/imap/sync-state';
import type { FolderSyncState, MailboxSnapshot, SyncState } from '../../activities/imap/types';

const snap = (over: Partial<MailboxSnapshot> = {}): MailboxSnapshot => ({ uidValidity: '100', uidNext: 11, highestModseq: '50', messages: 10, ...over });
const scope = scopeKey({}, ['INBOX.Sent', 'INBOX.Sent Items'], 'Sent');
const previous: FolderSyncState = {
  destination: 'Sent',
  destinationAt: snap({ uidValidity: '7' }),
  sources: [
    { path: 'INBOX.Sent', at: snap() },
    { path: 'INBOX.Sent Items', at: snap({ uidValidity: '101' }) },
  ],
  scope,
  messages: 20,
};
const now = (over: Partial<FolderNow> = {}): FolderNow => ({
  sourcePaths: ['INBOX.Sent', 'INBOX.Sent Items'],
  destinationPath: 'Sent',
  sources: [snap(), snap({ uidValidity: '101' })],
  destination: snap({ uidValidity: '7' }),
  scope,
  ...over,
});

describe('decideFolder', () => {
  it('skips a folder whose every side is as recorded', () => {
    expect(decideFolder(previous, now(), true)).toEqual({ mode: 'unchanged' });
    expect(decideFolder(previous, now(), false)).toEqual({ mode: 'unchanged' });
  });

  it('reads only the grown source when host1 received mail and host2 did not change', () => {
    const grown = now({ sources: [snap(), snap({ uidValidity: '101', uidNext: 13, messages: 12, highestModseq: '52' })] });
    expect(decideFolder(previous, grown, true)).toEqual({ mode: 'incremental', grown: [false, true] });
    expect(decideFolder(previous, grown, false)).toMatchObject({ mode: 'full' });
  });

  it('falls back to full for flag changes or expunges, host2 changes, new UIDVALIDITY, other filters, no CONDSTORE', () => {
    const full = (n: FolderNow) => decideFolder(previous, n, true);
    expect(full(now({ sources: [snap({ highestModseq: '51' }), snap({ uidValidity: '101' })] }))).toEqual({
      mode: 'full',
      reason: 'flags changed or messages removed on host1',
    });
    expect(full(now({ sources: [snap({ messages: 9, highestModseq: '51' }), snap({ uidValidity: '101' })] }))).toMatchObject({ mode: 'full' });
    expect(full(now({ destination: snap({ uidValidity: '7', highestModseq: '51' }) }))).toEqual({ mode: 'full', reason: 'host2 folder changed' });
    expect(full(now({ sources: [snap({ uidValidity: '999' }), snap({ uidValidity: '101' })] }))).toEqual({
      mode: 'full',
      reason: 'UIDVALIDITY changed on host1',
    });
    expect(full(now({ destination: snap({ uidValidity: '8' }) }))).toEqual({ mode: 'full', reason: 'UIDVALIDITY changed on host2' });
    expect(full(now({ scope: scopeKey({ maxAgeDays: 30 }, ['INBOX.Sent', 'INBOX.Sent Items'], 'Sent') }))).toEqual({
      mode: 'full',
      reason: 'folders or filters changed',
    });
    expect(full(now({ sourcePaths: ['INBOX.Sent'] }))).toMatchObject({ mode: 'full', reason: 'folders or filters changed' });
    expect(full(now({ destination: undefined }))).toEqual({ mode: 'full', reason: 'no HIGHESTMODSEQ (CONDSTORE) from a server' });
    expect(decideFolder(undefined, now(), true)).toEqual({ mode: 'full' });
  });
});

describe('usableFolders', () => {
  const pair = pairKey({
    source: { endpoint: { host: 'old.example', port: 993, tls: 'implicit' }, login: { user: 'a', credential: 'env:A' } },
    destination: { endpoint: { host: 'new.example', port: 993, tls: 'implicit' }, login: { user: 'a', credential: 'env:B' } },
  });
  const state: SyncState = { version: 1, pair, takenAt: '2024-01-01T00:00:00.000Z', folders: [previous] };

  it('takes a matching state, later states winning', () => {
    const newer = { ...state, folders: [{ ...previous, messages: 21 }] };
    expect(usableFolders(pair, state).get('Sent')).toEqual(previous);
    expect(usableFolders(pair, state, newer).get('Sent')!.messages).toBe(21);
  });

  it('ignores another pair, another version and malformed folders', () => {
    expect(usableFolders('other', state).size).toBe(0);
    expect(usableFolders(pair, { ...state, version: 2 } as unknown as SyncState).size).toBe(0);
    const broken = {
      ...state,
      folders: [{ ...previous, destinationAt: { ...previous.destinationAt, highestModseq: 'x' } }, { destination: 'INBOX' }],
    } as unknown as SyncState;
    expect(usableFolders(pair, broken).size).toBe(0);
    expect(usableFolders(pair, undefined, { folders: 'nope' } as unknown as SyncState).size).toBe(0);
  });

  it('the credential reference is not part of the pair (rotating a secret keeps the state)', () => {
    const rotated = pairKey({
      source: { endpoint: { host: 'OLD.example', port: 993, tls: 'implicit' }, login: { user: 'a', credential: 'file:/run/a' } },
      destination: { endpoint: { host: 'new.example', port: 993, tls: 'implicit' }, login: { user: 'a', credential: 'env:C' } },
    });
    expect(rotated).toBe(pair);
  });
});
