// Hold and release against the real mail world: mx1 (a private Postfix delivering into
// host1's Dovecot) holds a wave's mail, then re-routes it to host2's LMTP and releases it,
// or on rollback releases it back to host1. Every message must land exactly once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { holdMail, mailQueue, releaseMail } from '../../activities/mail-flow';
import type { MailHoldConfig } from '../../activities/mail-flow/hold-schema';
import { inbox, sendVia, startMailWorld, type MailWorld } from './mail-world';

let world: MailWorld;
let hold: Extract<MailHoldConfig, { provider: 'postfix' }>;
const users = ['alice', 'bob', 'carol'].map((user) => ({ user, password: `${user}-secret` }));

beforeAll(async () => {
  world = await startMailWorld('hold', users);
  hold = { provider: 'postfix', configDir: world.mx.mx1.configDir, host2Transport: `lmtp:inet:127.0.0.1:${world.host2.lmtpPort}` };
}, 60_000);
afterAll(() => world?.stop());

const send = (to: string[], subject: string) => sendVia(world, '127.0.0.1', to, subject, 'hold.test');

/** Polls until the queue has nothing for the addresses but what `done` accepts (or 10 s). */
async function queueUntil(addresses: string[], done: (q: Awaited<ReturnType<typeof mailQueue>>) => boolean) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const q = await mailQueue({ hold, addresses });
    if (done(q) || Date.now() > deadline) return q;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 1500));

it('holds mail sent during the hold, lists it, and releases it to host2 exactly once (a co-recipient not held goes to host1)', async () => {
  expect(await holdMail({ hold, addresses: ['Alice@example.test'] })).toEqual({ changed: true, released: 0 });
  expect(await holdMail({ hold, addresses: ['alice@example.test'] })).toEqual({ changed: false, released: 0 }); // a retry
  await send(['alice@example.test'], 'held-1');
  await send(['alice@example.test', 'bob@example.test'], 'held-2');
  expect(await queueUntil(['alice@example.test'], (q) => q.held === 2 && q.pending === 0)).toEqual({ held: 2, pending: 0 });
  await settle();
  expect(await inbox(world.host1, 'alice')).toEqual([]);

  expect(await releaseMail({ hold, addresses: ['alice@example.test'], to: 'host2' })).toEqual({ changed: true, released: 2 });
  expect(await queueUntil(['alice@example.test', 'bob@example.test'], (q) => q.held + q.pending === 0)).toEqual({ held: 0, pending: 0 });
  expect(await releaseMail({ hold, addresses: ['alice@example.test'], to: 'host2' })).toEqual({ changed: false, released: 0 }); // a retry
  await settle();
  expect(await inbox(world.host2, 'alice')).toEqual(['<held-1@hold.test>', '<held-2@hold.test>']);
  expect(await inbox(world.host1, 'alice')).toEqual([]);
  expect(await inbox(world.host1, 'bob')).toEqual(['<held-2@hold.test>']);
  // Re-routed: alice's next mail goes to host2 directly.
  await send(['alice@example.test'], 'after');
  await queueUntil(['alice@example.test'], (q) => q.held + q.pending === 0);
  await settle();
  expect(await inbox(world.host2, 'alice')).toEqual(['<after@hold.test>', '<held-1@hold.test>', '<held-2@hold.test>']);
  expect(readFileSync(world.mx.mx1.logFile, 'utf8')).not.toMatch(/status=bounced/);
}, 60_000);

it('a rollback during the hold releases the held mail back to host1', async () => {
  await holdMail({ hold, addresses: ['carol@example.test'] });
  await send(['carol@example.test'], 'rolled-back');
  await queueUntil(['carol@example.test'], (q) => q.held === 1 && q.pending === 0);
  expect(await releaseMail({ hold, addresses: ['carol@example.test'], to: 'host1' })).toEqual({ changed: true, released: 1 });
  await queueUntil(['carol@example.test'], (q) => q.held + q.pending === 0);
  await settle();
  expect(await inbox(world.host1, 'carol')).toEqual(['<rolled-back@hold.test>']);
  expect(await inbox(world.host2, 'carol')).toEqual([]);
}, 60_000);

it('a message held for two waves waits for the second one', async () => {
  await holdMail({ hold, addresses: ['bob@example.test', 'carol@example.test'] });
  await send(['bob@example.test', 'carol@example.test'], 'two-waves');
  expect(await queueUntil(['bob@example.test'], (q) => q.held === 1)).toEqual({ held: 1, pending: 0 });
  expect(await releaseMail({ hold, addresses: ['bob@example.test'], to: 'host2' })).toMatchObject({ released: 0 });
  expect(await releaseMail({ hold, addresses: ['carol@example.test'], to: 'host2' })).toMatchObject({ released: 1 });
  await queueUntil(['bob@example.test', 'carol@example.test'], (q) => q.held + q.pending === 0);
  await settle();
  expect(await inbox(world.host2, 'bob')).toEqual(['<two-waves@hold.test>']);
  expect(await inbox(world.host2, 'carol')).toEqual(['<two-waves@hold.test>']);
}, 60_000);

it('refuses to hold on an MTA whose main.cf does not consult the hold map', async () => {
  await expect(holdMail({ hold: { ...hold, holdMap: path.join(world.dir, 'elsewhere') }, addresses: ['alice@example.test'] })).rejects.toMatchObject({
    type: 'MailFlowNotConfigured',
  });
  await expect(holdMail({ hold, addresses: ['-x@example.test'] })).rejects.toMatchObject({ type: 'InvalidMailHoldRequest' });
});
