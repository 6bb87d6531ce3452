// The holding relay of scenario hold-and-release against real servers: a third private
// Postfix (127.0.0.3) in front of host1 and host2's Dovecots. Mail sent to it while it holds
// the domain is held, delivered nowhere; released to host2 it lands there exactly once and
// the relay's queue is empty; a rollback's release sends it to host1 instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { holdDomainMail, relayQueue, releaseDomainMail } from '../../activities/mail-flow';
import type { HoldingRelayConfig } from '../../activities/mail-flow/hold-schema';
import { inbox, sendVia, startMailWorld, type MailWorld } from './mail-world';

let world: MailWorld;
let relay: HoldingRelayConfig;
const domain = 'example.test';
const users = ['alice', 'bob'].map((user) => ({ user, password: `${user}-secret` }));

beforeAll(async () => {
  world = await startMailWorld('relay', users, { relay: true });
  relay = {
    provider: 'postfix',
    configDir: world.mx.relay!.configDir,
    host1Transport: `lmtp:inet:127.0.0.1:${world.host1.lmtpPort}`,
    host2Transport: `lmtp:inet:127.0.0.1:${world.host2.lmtpPort}`,
  };
}, 60_000);
afterAll(() => world?.stop());

const send = (to: string[], subject: string) => sendVia(world, world.mx.relay!.host, to, subject, 'relay.test');

/** Polls the relay's queue until `done` (or 10 s). */
async function queueUntil(done: (q: Awaited<ReturnType<typeof relayQueue>>) => boolean) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const q = await relayQueue({ relay, domain });
    if (done(q) || Date.now() > deadline) return q;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 1500));

it('holds every message for the domain, delivers none, and released to host2 each lands there once, the queue then empty', async () => {
  expect(await holdDomainMail({ relay, domain })).toEqual({ changed: true, released: 0 });
  expect(await holdDomainMail({ relay, domain: 'Example.test' })).toEqual({ changed: false, released: 0 }); // a retry
  await send(['alice@example.test'], 'held-1');
  await send(['alice@example.test', 'bob@example.test'], 'held-2');
  await send(['bob@example.test'], 'held-3');
  expect(await queueUntil((q) => q.held === 3)).toEqual({ held: 3, pending: 0 });
  await settle();
  for (const host of [world.host1, world.host2]) for (const u of ['alice', 'bob']) expect(await inbox(host, u)).toEqual([]);

  expect(await releaseDomainMail({ relay, domain, to: 'host2' })).toEqual({ changed: true, released: 3 });
  expect(await queueUntil((q) => q.held + q.pending === 0)).toEqual({ held: 0, pending: 0 });
  expect(await releaseDomainMail({ relay, domain, to: 'host2' })).toEqual({ changed: false, released: 0 }); // a retry
  await settle();
  expect(await inbox(world.host2, 'alice')).toEqual(['<held-1@relay.test>', '<held-2@relay.test>']);
  expect(await inbox(world.host2, 'bob')).toEqual(['<held-2@relay.test>', '<held-3@relay.test>']);
  expect(await inbox(world.host1, 'alice')).toEqual([]);
  expect(await inbox(world.host1, 'bob')).toEqual([]);
  // Released, the relay sends the domain's next mail straight to host2.
  await send(['alice@example.test'], 'after');
  await queueUntil((q) => q.held + q.pending === 0);
  await settle();
  expect(await inbox(world.host2, 'alice')).toEqual(['<after@relay.test>', '<held-1@relay.test>', '<held-2@relay.test>']);
  expect(readFileSync(world.mx.relay!.logFile, 'utf8')).not.toMatch(/status=bounced/);
}, 60_000);

it("a rollback's release sends the held mail to host1", async () => {
  await holdDomainMail({ relay, domain });
  await send(['bob@example.test'], 'rolled-back');
  expect(await queueUntil((q) => q.held === 1)).toEqual({ held: 1, pending: 0 });
  expect(await releaseDomainMail({ relay, domain, to: 'host1' })).toEqual({ changed: true, released: 1 });
  expect(await queueUntil((q) => q.held + q.pending === 0)).toEqual({ held: 0, pending: 0 });
  await settle();
  expect(await inbox(world.host1, 'bob')).toEqual(['<rolled-back@relay.test>']);
  expect(await inbox(world.host2, 'bob')).toEqual(['<held-2@relay.test>', '<held-3@relay.test>']);
}, 60_000);

it('refuses to hold on a relay whose main.cf does not consult the hold map, and a domain that is no map key', async () => {
  await expect(holdDomainMail({ relay: { ...relay, holdMap: path.join(world.dir, 'elsewhere') }, domain })).rejects.toMatchObject({
    type: 'MailFlowNotConfigured',
  });
  await expect(holdDomainMail({ relay, domain: 'example.test HOLD' })).rejects.toMatchObject({ type: 'InvalidMailHoldRequest' });
});
