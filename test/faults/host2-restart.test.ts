// host2's Dovecot stops in the middle of the APPENDs of a pre-sync and comes back a little
// later (same directory, same port). Stopped hard: server.stop() and then its imap
// processes, which a plain stop() leaves serving their sessions. The attempt that was cut off fails with a retryable
// connection failure naming host2; the retry, as Temporal's retry policy would run it,
// copies the rest: nothing duplicated, nothing missing. host2 is reached through a
// bandwidth-limited proxy so that the copy is still going when Dovecot stops.
import { ApplicationFailure } from '@temporalio/common';
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import { syncRequest } from '../../workflows/requests';
import { stopHard } from '../../scripts/servers/dovecot';
import { countMessages, seedBulk, startMailWorld, startThrottle, type MailWorld, type Throttle } from './world';

jest.setTimeout(120_000);

const TOTAL = 240;
let w: MailWorld;
let throttle: Throttle;

beforeAll(async () => {
  w = await startMailWorld();
  throttle = await startThrottle(w.host2.port, 3 * 1024 * 1024);
  await seedBulk(w.host1, 'bob', w.passwords['host1-bob'], { folder: 'INBOX', count: TOTAL, largeEvery: 30 });
  await seedBulk(w.host1, 'bob', w.passwords['host1-bob'], { folder: 'Projects', count: 40, tag: 'projects' });
});

afterAll(async () => {
  await throttle?.close();
  await w?.stop();
});

it('host2 stopped mid-APPEND and restarted: the retry neither duplicates nor loses a message', async () => {
  const spec = w.spec({ host2Port: throttle.port });
  const bob = spec.mailboxes.find((m) => m.source.user === 'bob')!;
  const request = syncRequest(spec, bob, 'presync', { deleteOnDestination: false, deleteOnSource: false });
  const count = () => countMessages(w.host2, 'bob', w.passwords['host2-bob'], 'INBOX');

  const attempt1 = syncMailbox(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  let atStop = 0;
  const deadline = Date.now() + 60_000;
  for (;;) {
    atStop = await count();
    if (atStop > 0 && atStop < TOTAL) break;
    if (atStop >= TOTAL) throw new Error('the copy finished before host2 could be stopped');
    if (Date.now() > deadline) throw new Error('the copy did not start within a minute');
    await new Promise((r) => setTimeout(r, 30));
  }
  // A crash, not a drain: the sessions in the middle of their APPENDs die with it.
  const killed = await stopHard(w.host2);
  const err = await attempt1;
  expect(killed.length).toBeGreaterThan(0);

  // A clear, retryable failure naming host2.
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.nonRetryable).toBeFalsy();
  expect(failure.message).toMatch(/host2/);
  expect(failure.message).toMatch(/bob/);

  // While host2 is down, a retry fails the same retryable way.
  const whileDown = await syncMailbox(request).then(
    () => undefined,
    (e: unknown) => e as ApplicationFailure,
  );
  expect(whileDown).toBeInstanceOf(ApplicationFailure);
  expect(whileDown!.nonRetryable).toBeFalsy();

  await new Promise((r) => setTimeout(r, 1500));
  await w.restart('host2');
  const partial = await count();
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(TOTAL);
  const partialProjects = await countMessages(w.host2, 'bob', w.passwords['host2-bob'], 'Projects');

  const retried = await syncMailbox(request);
  const cmp = await w.compare('bob');
  expect(cmp.missing).toEqual([]);
  expect(cmp.extra).toEqual([]);
  expect(cmp.destination).toBe(TOTAL + 40);
  // The retry copied exactly what was missing.
  expect(retried.totals.copied).toBe(TOTAL + 40 - partial - partialProjects);

  // A third run finds nothing to do.
  const again = await syncMailbox(request);
  expect(again.totals.copied).toBe(0);
});
