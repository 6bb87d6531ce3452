// The world's MTAs: two private Postfix instances on one port, each on its MX address,
// delivering by LMTP into its own Dovecot; nothing leaks to the other host, nothing is
// delivered twice, and nothing relays elsewhere.
import { inbox, sendVia, startMailWorld, type MailWorld } from '../mail-flow/mail-world';

let world: MailWorld;
const users = [{ user: 'alice', password: 'alice-secret' }];

beforeAll(async () => {
  world = await startMailWorld('mx', users);
}, 60_000);
afterAll(() => world?.stop());

const send = (address: string, to: string, subject: string) => sendVia(world, address, to, subject, 'mx-pair.test');

it('each MX delivers into its own host, every message exactly once', async () => {
  expect([world.mx.mx1.port, world.mx.mx2.port]).toEqual([world.mx.port, world.mx.port]);
  await send('127.0.0.1', 'alice@example.test', 'to-mx1');
  await send('127.0.0.2', 'alice@example.test', 'to-mx2-a');
  await send('127.0.0.2', 'Alice@Example.test', 'to-mx2-b');
  expect(await inbox(world.host2, 'alice', 2)).toEqual(['<to-mx2-a@mx-pair.test>', '<to-mx2-b@mx-pair.test>']);
  expect(await inbox(world.host1, 'alice', 1)).toEqual(['<to-mx1@mx-pair.test>']);
});

it('relays nothing: mail for another domain is refused at RCPT', async () => {
  await expect(send('127.0.0.2', 'bob@elsewhere.test', 'relay')).rejects.toMatchObject({
    responseCode: 550,
    response: expect.stringMatching(/outbound mail disabled/),
  });
});
