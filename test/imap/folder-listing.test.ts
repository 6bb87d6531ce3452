// readState (activities/imap/folder-listing.ts) for a host2 folder this run created: host1
// is listed at the same time, without the identity headers, on the word that host2's
// folder is empty. When it is not (a folder done again after its connection was lost
// mid-copy), host1 is listed again with them, so what host2 holds is paired, not copied twice.
import type { FolderPair } from '../../activities/imap/folder-plan';
import { readState } from '../../activities/imap/folder-listing';
import { withoutIdentity } from '../../activities/imap/inventory';
import { matchMessages } from '../../activities/imap/message-plan';
import { openSession, type ImapSession } from '../../activities/imap/session';
import { connect, makeMessage, serverPathOf } from './corpus';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(60_000);

let hosts: Hosts;
let src: ImapSession;
let dst: ImapSession;
const messages = [1, 2, 3].map((i) =>
  makeMessage({ messageId: `<fl${i}@x>`, subject: `listed ${i}`, date: new Date(Date.UTC(2024, 1, i)), body: `body ${i}` }),
);
const settings = {
  filters: { now: Date.now() },
  deleteOnDestination: false,
  deleteOnSource: false,
  dryRun: false,
  batchMessages: 50,
  batchBytes: 1 << 20,
  multiappend: true,
};

beforeAll(async () => {
  hosts = await startHosts(['nora']);
  const { host1, host2 } = hosts.users.nora;
  const one = await connect(hosts.host1, 'nora', host1.password);
  await one.mailboxCreate(serverPathOf(hosts.host1, 'Kept'));
  for (const m of messages) await one.append(serverPathOf(hosts.host1, 'Kept'), m, [], new Date(Date.UTC(2024, 1, 1)));
  await one.logout();
  const two = await connect(hosts.host2, 'nora', host2.password);
  await two.mailboxCreate(serverPathOf(hosts.host2, 'Kept'));
  await two.logout();
  const req = hosts.request('nora');
  [src, dst] = await Promise.all([openSession('host1', req.source, 'nora'), openSession('host2', req.destination, 'nora')]);
});
afterAll(async () => {
  await Promise.all([src?.close(), dst?.close()]);
  await hosts?.stop();
});

const pair = (): FolderPair =>
  ({
    levels: ['Kept'],
    logical: 'Kept',
    path: serverPathOf(hosts.host2, 'Kept'),
    sources: [{ path: serverPathOf(hosts.host1, 'Kept'), logical: 'Kept' }],
  }) as FolderPair;
const list = () =>
  readState(pair(), src, dst, settings, true, () => undefined, { identity: 'when-needed', knownEmpty: true, destinationReady: Promise.resolve() });

it('lists host1 without identities while the created folder is empty, and with them once it holds a copy', async () => {
  const empty = await list();
  expect(empty.destination).toEqual([]);
  expect(empty.source.every(withoutIdentity)).toBe(true);
  expect(matchMessages(empty.source, empty.destination).toCopy).toHaveLength(3);

  // The first copy stored before the connection was lost: host2's "new" folder is not empty any more.
  await dst.client.append(pair().path, messages[0], [], new Date(Date.UTC(2024, 1, 1)));
  const again = await list();
  expect(again.destination).toHaveLength(1);
  expect(again.source.some(withoutIdentity)).toBe(false);
  expect(matchMessages(again.source, again.destination).toCopy.map((m) => m.uid)).toEqual(again.source.slice(1).map((m) => m.uid));
});
