// The canary activities against the real mail world: Knot serving the zone, mx1 (Postfix
// → host1's Dovecot) and mx2 (Postfix → host2's Dovecot) on the addresses the zone gives
// mail1 and mail2. Where mail goes is decided by the MX record alone, as on the Internet.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { replaceRecords } from '../../activities/dns';
import { findCanary, sendCanary } from '../../activities/mail-flow';
import type { SendCanaryInput } from '../../activities/mail-flow/send-canary';
import type { ImapAccount } from '../../activities/imap/types';
import type { DovecotServer } from '../../scripts/servers/dovecot';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { demoZoneRecords } from '../../scripts/sandbox/layout';
import { startMailWorld, type MailWorld } from './mail-world';

let world: MailWorld;
let knot: KnotServer;
let accounts: { host1: ImapAccount; host2: ImapAccount };

beforeAll(async () => {
  world = await startMailWorld('canary', [{ user: 'alice', password: 'alice-secret' }]);
  knot = await startKnot({ dir: path.join(world.dir, 'dns'), zone: 'example.test', records: demoZoneRecords });
  const secret = path.join(world.dir, 'alice.pw');
  writeFileSync(secret, 'alice-secret', { mode: 0o600 });
  const account = (s: DovecotServer): ImapAccount => ({
    endpoint: { host: s.host, port: s.port, tls: 'none' },
    login: { user: 'alice', credential: `file:${secret}` },
  });
  accounts = { host1: account(world.host1), host2: account(world.host2) };
}, 60_000);
afterAll(async () => {
  await knot?.stop();
  await world?.stop();
});

const provider = () => ({ kind: 'rfc2136' as const, server: '127.0.0.1', port: knot.port, tsigKey: `file:${knot.keyFile}` });
let n = 0;
const canary = (o: Partial<SendCanaryInput> = {}): SendCanaryInput => ({
  dns: { provider: provider(), zone: 'example.test', resolvers: [] },
  domain: 'example.test',
  smtpPort: world.mx.port,
  from: 'mailshift@example.test',
  to: 'alice@example.test',
  token: `test-${++n}-${Date.now()}`,
  ...o,
});

/** Polls findCanary until the canary shows up somewhere (or 10 s), then looks once more: it must not arrive twice. */
async function landing(token: string) {
  const deadline = Date.now() + 10_000;
  let seen = await findCanary({ token, mailbox: 'alice', ...accounts });
  while (seen.host1 + seen.host2 === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await findCanary({ token, mailbox: 'alice', ...accounts });
  }
  await new Promise((r) => setTimeout(r, 300));
  return findCanary({ token, mailbox: 'alice', ...accounts });
}

const mxTo = (host: string) => ({ name: 'example.test.', type: 'MX', ttl: 600, values: [`10 ${host}.example.test.`] });

it('lands on host1 while the MX still points to mail1', async () => {
  const input = canary();
  const sent = await sendCanary(input);
  expect(sent).toMatchObject({ accepted: true, via: `mail1.example.test. (127.0.0.1:${world.mx.port})`, detail: expect.stringMatching(/^250 /) });
  expect(await landing(input.token)).toEqual({ host1: 1, host2: 0 });
});

it('after the MX switch, mail sent by SMTP to the domain ends on host2 exactly once', async () => {
  await replaceRecords({ provider: provider(), zone: 'example.test', expected: mxTo('mail1'), next: mxTo('mail2') });
  // Asked through a listed resolver (Knot answers it too), as the runbook's propagation checks do.
  const inputs = [canary(), canary({ dns: { provider: provider(), zone: 'example.test', resolvers: [`127.0.0.1:${knot.port}`] } })];
  for (const input of inputs) {
    expect(await sendCanary(input)).toMatchObject({ accepted: true, via: `mail2.example.test. (127.0.0.2:${world.mx.port})` });
  }
  for (const input of inputs) expect(await landing(input.token)).toEqual({ host1: 0, host2: 1 });
});

it('says so when the MX refuses the canary, or no MX can be reached', async () => {
  expect(await sendCanary(canary({ to: 'alice@elsewhere.test' }))).toMatchObject({ accepted: false, detail: expect.stringMatching(/^refused: 550 /) });
  const nobody = await sendCanary(canary({ smtpPort: world.mx.port + 1 === 65536 ? 1 : world.mx.port + 1 }));
  expect(nobody).toMatchObject({
    accepted: false,
    detail: expect.stringMatching(/no MX of example\.test took the canary: mail2\.example\.test\. \(127\.0\.0\.2:\d+\): .*ECONNREFUSED/),
  });
  expect(await sendCanary(canary({ dns: { provider: provider(), zone: 'example.test', resolvers: ['127.0.0.1:9'] } }))).toMatchObject({
    accepted: false,
    detail: expect.stringMatching(/^DNS: no DNS server answered for example\.test MX/),
  });
});
