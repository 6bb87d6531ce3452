// What a sync sends over the wire, through a relaying proxy in front of a real Dovecot:
// the commands it can do without (identity headers nobody pairs with), and the
// connections it opens. Counted on the wire, never timed.
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncRequest } from '../../activities/imap/types';
import { startImapProxy, type ImapProxy } from '../harness/imap-proxy';
import { buildCorpus, connect, fingerprints, readMailbox, seedMailbox, serverPathOf, type StoredMessage } from './corpus';
import { startHosts, type Hosts } from './hosts';

jest.setTimeout(120_000);

const corpus = buildCorpus({ large: false });
const bigger = buildCorpus({ large: false, bulk: 600 });
const onHost2 = (folder: string) => (folder === 'Sent Items' ? 'Sent' : folder);
const expected = fingerprints(corpus.map((m) => ({ folder: onHost2(m.folder), raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() })));

let hosts: Hosts;
let host1Proxy: ImapProxy;

beforeAll(async () => {
  hosts = await startHosts(['alice', 'bob', 'carol']);
  for (const user of ['alice', 'bob']) await seedMailbox(hosts.host1, user, hosts.users[user].host1.password, corpus);
  await seedMailbox(hosts.host1, 'carol', hosts.users.carol.host1.password, bigger);
  host1Proxy = await startImapProxy(hosts.host1);
});
afterAll(async () => {
  await host1Proxy?.close();
  await hosts?.stop();
});

const viaProxy = (user = 'alice', overrides: Partial<SyncRequest> = {}) => {
  const req = hosts.request(user, overrides);
  return { ...req, source: { ...req.source, endpoint: { ...req.source.endpoint, port: host1Proxy.port } } };
};
const host2Mail = async (user = 'alice') => fingerprints(await readMailbox(hosts.host2, user, hosts.users[user].host2.password));
const compressCommands = (lines: string[]) => lines.filter((l) => / COMPRESS DEFLATE$/i.test(l));
const headerFetches = (lines: string[]) => lines.filter((l) => / FETCH .*HEADER\.FIELDS/i.test(l));
const bodyFetches = (lines: string[]) => lines.filter((l) => / UID FETCH .*BODY\.PEEK\[\]/i.test(l));
/** Each folder's messages in UID order, as content hashes (Sent Items lands in Sent: its own order follows). */
const inUidOrder = (messages: StoredMessage[]) => {
  const byFolder = new Map<string, StoredMessage[]>();
  for (const m of messages) byFolder.set(m.folder, [...(byFolder.get(m.folder) ?? []), m]);
  return new Map([...byFolder].map(([f, ms]) => [f, ms.sort((a, b) => a.uid - b.uid).map((m) => m.sha256)]));
};

it('lists host1 without the identity headers while host2 is empty, with them once host2 has mail', async () => {
  const first = await syncMailbox(viaProxy());
  expect(first.totals.copied).toBe(corpus.length);
  expect(headerFetches(host1Proxy.clientLines())).toEqual([]);
  expect(compressCommands(host1Proxy.clientLines())).toEqual([]); // off unless asked
  // A small mailbox is copied over one pair of connections: no second login.
  expect(host1Proxy.connections()).toBe(1);
  expect(await host2Mail()).toEqual(expected);

  // One copy gone from host2's INBOX: the next full comparison pairs by identity again.
  const c = await connect(hosts.host2, 'alice', hosts.users.alice.host2.password);
  try {
    await c.mailboxOpen(serverPathOf(hosts.host2, 'INBOX'));
    expect(await c.messageDelete('1', { uid: true })).toBe(true);
  } finally {
    await c.logout();
  }
  const seen = host1Proxy.clientLines().length;
  const again = await syncMailbox(viaProxy());
  expect(again.totals.copied).toBe(1);
  expect(host1Proxy.connections()).toBe(2);
  expect(headerFetches(host1Proxy.clientLines().slice(seen)).length).toBeGreaterThan(0);
  expect(await host2Mail()).toEqual(expected);
});

it('compresses every connection with tuning.compress (COMPRESS=DEFLATE), byte-exact', async () => {
  const seen = host1Proxy.clientLines().length;
  const result = await syncMailbox(viaProxy('bob', { tuning: { compress: true } }));
  expect(result.totals.copied).toBe(corpus.length);
  // Each host1 connection asked for it once (after that the proxy sees deflated bytes).
  expect(compressCommands(host1Proxy.clientLines().slice(seen)).length).toBeGreaterThanOrEqual(1);
  expect(await host2Mail('bob')).toEqual(expected);
});

it('a larger mailbox is copied over as many pairs as tuning.parallelFolders allows', async () => {
  const before = host1Proxy.connections();
  const seen = host1Proxy.clientLines().length;
  // Batches of 20: host2 stores dozens of batches while host1 sends the next ones.
  const result = await syncMailbox(viaProxy('carol', { tuning: { parallelFolders: 3, batchMessages: 20 } }));
  expect(result.totals.copied).toBe(bigger.length);
  // ~650 messages: worth two more logins (one per 250 messages), within the 3 allowed.
  expect(host1Proxy.connections() - before).toBe(3);
  // The new pairs know the folders the first one listed (with their STATUS, or "*"): no LIST of a single folder before its SELECT.
  const listings = host1Proxy
    .clientLines()
    .slice(seen)
    .filter((l) => / (LIST|LSUB) /i.test(l));
  expect(listings.length).toBeGreaterThan(0);
  expect(listings.filter((l) => !/ "\*"| RETURN \(STATUS /.test(l))).toEqual([]);
  // One body FETCH per source folder (each under 1,000 messages), not one per batch.
  expect(bodyFetches(host1Proxy.clientLines().slice(seen)).length).toBe(new Set(bigger.map((m) => m.folder)).size);
  const onCarol = fingerprints(bigger.map((m) => ({ folder: onHost2(m.folder), raw: m.raw, flags: m.flags, internalDate: m.internalDate.getTime() })));
  expect(await host2Mail('carol')).toEqual(onCarol);
  // Copied in host1's order: host2's UIDs follow host1's.
  const host1Order = inUidOrder(await readMailbox(hosts.host1, 'carol', hosts.users.carol.host1.password));
  const host2Order = inUidOrder(await readMailbox(hosts.host2, 'carol', hosts.users.carol.host2.password));
  for (const [folder, order] of host1Order) if (folder !== 'Sent Items' && folder !== 'Sent') expect(host2Order.get(folder)).toEqual(order);
});
