// Each phase rule, attacked: a sync that would delete on host2 once mail or users are
// there, an MX switch before every mailbox's verified final sync, a skip of a step the
// promises rest on.
import { assertMxMayMove, deletePermissions, maySkip, mxMoveRefusal, relayReleaseRefusal, releaseRefusal, type SyncKind } from '../../workflows/phase-rules';

const kinds: SyncKind[] = ['presync', 'final', 'postsync', 'reverse', 'backfill'];

describe('what a sync may delete', () => {
  it('never deletes on host2 once the MX points there, users work there, or host2 holds their own mail', () => {
    for (const kind of kinds) {
      for (const usersOnHost2 of [false, true]) {
        for (const ownMailOnHost2 of [false, true]) {
          for (const mxOnHost2 of [false, true]) {
            const p = deletePermissions(kind, { usersOnHost2, ownMailOnHost2 }, { mxOnHost2 });
            if (usersOnHost2 || ownMailOnHost2 || mxOnHost2) expect({ kind, ...p }).toMatchObject({ kind, deleteOnDestination: false });
          }
        }
      }
    }
  });

  it('deletes on host2 only in pre-syncs and the final sync, before anything is there', () => {
    const untouched = { usersOnHost2: false, ownMailOnHost2: false };
    expect(kinds.filter((k) => deletePermissions(k, untouched, { mxOnHost2: false }).deleteOnDestination)).toEqual(['presync', 'final']);
  });

  it("never deletes on host2 in a mailbox's first sync: all host2 has that host1 lacks is the users' own", () => {
    for (const kind of kinds) {
      expect({ kind, ...deletePermissions(kind, { usersOnHost2: false, ownMailOnHost2: false, firstSync: true }, { mxOnHost2: false }) }).toMatchObject({
        kind,
        deleteOnDestination: false,
      });
    }
  });

  it("never deletes on host2 without the previous sync's marks: users' new mail there cannot be told apart", () => {
    for (const kind of kinds) {
      expect({ kind, ...deletePermissions(kind, { usersOnHost2: false, withoutMarks: true }, { mxOnHost2: false }) }).toMatchObject({
        kind,
        deleteOnDestination: false,
      });
    }
  });

  it('deletes on host1 only in post-syncs (what they verified on host2), never in a rollback', () => {
    for (const mxOnHost2 of [false, true]) {
      const onSource = kinds.filter((k) => deletePermissions(k, { usersOnHost2: false }, { mxOnHost2 }).deleteOnSource);
      expect(onSource).toEqual(['postsync']);
    }
    expect(deletePermissions('reverse', { usersOnHost2: false }, { mxOnHost2: true })).toEqual({ deleteOnDestination: false, deleteOnSource: false });
  });

  it('never deletes anywhere in a back-fill (mx-first), whatever the mailbox and the MX', () => {
    const none = { deleteOnDestination: false, deleteOnSource: false };
    for (const usersOnHost2 of [false, true])
      for (const ownMailOnHost2 of [false, true])
        for (const firstSync of [false, true])
          for (const withoutMarks of [false, true])
            for (const mxOnHost2 of [false, true]) {
              const mailbox = { usersOnHost2, ownMailOnHost2, firstSync, withoutMarks };
              expect({ ...mailbox, mxOnHost2, ...deletePermissions('backfill', mailbox, { mxOnHost2 }) }).toEqual({ ...mailbox, mxOnHost2, ...none });
            }
  });
});

describe('when the MX may move', () => {
  const everyone = ['alice', 'bob', 'carol'];

  it('refuses before any final sync', () => {
    expect(mxMoveRefusal(undefined, everyone)).toMatch(/no verified final sync for alice, bob, carol/);
    expect(() => assertMxMayMove(undefined, everyone)).toThrow(/the MX cannot move/);
  });

  it('refuses while one mailbox has no final sync yet (a wave not cut over)', () => {
    expect(mxMoveRefusal({ missing: { alice: 0, bob: 0 }, failed: {} }, everyone)).toMatch(/no verified final sync for carol$/);
  });

  it('refuses with each mailbox missing messages, and each failed one with why', () => {
    const refusal = mxMoveRefusal({ missing: { alice: 0, bob: 2 }, failed: { carol: 'verification failed: host2 is down' } }, everyone);
    expect(refusal).toMatch(/carol \(verification failed: host2 is down\)/);
    expect(refusal).toMatch(/missing on host2: bob: 2/);
  });

  it('a failed verification never counts as "nothing missing"', () => {
    expect(mxMoveRefusal({ missing: { alice: 0, bob: 0 }, failed: { carol: 'timeout' } }, everyone)).toBeDefined();
  });

  it('lets it move once every mailbox is verified with nothing missing', () => {
    const done = { missing: { alice: 0, bob: 0, carol: 0 }, failed: {} };
    expect(mxMoveRefusal(done, everyone)).toBeUndefined();
    expect(() => assertMxMayMove(done, everyone)).not.toThrow();
  });

  it('names a long list briefly', () => {
    const many = Array.from({ length: 30 }, (_, i) => `user${i}`);
    expect(mxMoveRefusal(undefined, many)).toMatch(/user9, … \(30 in all\)$/);
  });
});

describe('which failed steps may be skipped', () => {
  it('only those the promises do not rest on', () => {
    for (const step of ['notice', 'post-sync', 'restore TTL']) expect(maySkip(step)).toBe(true);
    for (const step of ['preflight', 'final sync', 'cut-over: everyone', 'switch MX', 'lower TTL', 'hand-over', 'rollback: copy back', 'rollback: DNS']) {
      expect(maySkip(step)).toBe(false);
    }
  });
});

describe('releasing held mail into host2', () => {
  it('refuses every mailbox without a final sync verified with nothing missing', () => {
    const users = ['alice', 'bob'];
    expect(releaseRefusal(undefined, users)).toMatch(/alice \(no verified final sync\), bob/);
    expect(releaseRefusal({ missing: { alice: 0 }, failed: {} }, users)).toMatch(/: bob \(no verified final sync\)$/);
    expect(releaseRefusal({ missing: { alice: 0, bob: 2 }, failed: {} }, users)).toMatch(/: bob \(2 missing on host2\)$/);
    expect(releaseRefusal({ missing: { alice: 0 }, failed: { bob: 'login failed' } }, users)).toMatch(/: bob \(login failed\)$/);
    // Another wave's verified mailboxes do not stand in for this one's.
    expect(releaseRefusal({ missing: { carol: 0, alice: 0 }, failed: {} }, users)).toMatch(/bob/);
    expect(releaseRefusal({ missing: { alice: 0, bob: 0 }, failed: {} }, users)).toBeUndefined();
  });
});

describe("releasing the holding relay's mail into host2 (hold-and-release)", () => {
  const everyone = ['alice', 'bob', 'carol'];

  it('refuses before any verification, and while any mailbox of any wave is unverified, missing mail or failed', () => {
    expect(relayReleaseRefusal(undefined, everyone)).toMatch(/alice \(no verified final sync\), bob .*, carol/);
    // One wave verified does not release the domain's mail: the others' mailboxes are not.
    expect(relayReleaseRefusal({ missing: { alice: 0 }, failed: {} }, everyone)).toMatch(/bob \(no verified final sync\), carol/);
    expect(relayReleaseRefusal({ missing: { alice: 0, bob: 0, carol: 1 }, failed: {} }, everyone)).toMatch(/carol \(1 missing on host2\)$/);
    expect(relayReleaseRefusal({ missing: { alice: 0, bob: 0 }, failed: { carol: 'timeout' } }, everyone)).toMatch(/carol \(timeout\)$/);
  });

  it('is not fooled by an empty list of mailboxes (every one of none is verified)', () => {
    expect(releaseRefusal(undefined, [])).toBeUndefined(); // a wave's rule: nothing of it to hold
    expect(relayReleaseRefusal(undefined, [])).toMatch(/no mailbox was named/);
    expect(relayReleaseRefusal({ missing: { alice: 0 }, failed: {} }, [])).toBeDefined();
  });

  it('releases once every mailbox is verified with nothing missing', () => {
    expect(relayReleaseRefusal({ missing: { alice: 0, bob: 0, carol: 0 }, failed: {} }, everyone)).toBeUndefined();
  });
});
