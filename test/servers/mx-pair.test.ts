// The world's MTAs: two private Postfix instances on one port, each on its MX address,
// delivering by LMTP into its own Dovecot; nothing leaks to the other host, nothing is
// delivered twice, and nothing relays elsewhere.
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { DovecotServer } from '../../scripts/servers/dovecot';
import { startMailWorld, type MailWorld } from '../mail-flow/mail-world';

let world: MailWorld;
const users = [{ user: 'alice', password: 'alice-secret' }];

beforeAll(async () => {
  world = await startMailWorld('mx', users);
}, 60_000);
afterAll(() => world?.stop());

const send = (address: string, to: string, subject: string) =>
  nodemailer
    .createTransport({ host: address, port: world.mx.port, secure: false, ignoreTLS: true, logger: false })
    .sendMail({ from: 'sender@elsewhere.test', to, subject, text: 'hello', messageId: `<${subject}@mx-pair.test>` });

/** The Message-IDs in a user's INBOX, polled until `count` are there (or 10 s). */
async function inbox(server: DovecotServer, count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'alice', pass: 'alice-secret' }, logger: false });
    await client.connect();
    const ids: string[] = [];
    try {
      const box = await client.mailboxOpen('INBOX');
      if (box.exists) for await (const m of client.fetch('1:*', { envelope: true })) ids.push(m.envelope!.messageId!);
    } finally {
      await client.logout();
    }
    if (ids.length >= count || Date.now() > deadline) return ids.sort();
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('each MX delivers into its own host, every message exactly once', async () => {
  expect([world.mx.mx1.port, world.mx.mx2.port]).toEqual([world.mx.port, world.mx.port]);
  await send('127.0.0.1', 'alice@example.test', 'to-mx1');
  await send('127.0.0.2', 'alice@example.test', 'to-mx2-a');
  await send('127.0.0.2', 'Alice@Example.test', 'to-mx2-b');
  expect(await inbox(world.host2, 2)).toEqual(['<to-mx2-a@mx-pair.test>', '<to-mx2-b@mx-pair.test>']);
  expect(await inbox(world.host1, 1)).toEqual(['<to-mx1@mx-pair.test>']);
});

it('relays nothing: mail for another domain is refused at RCPT', async () => {
  await expect(send('127.0.0.2', 'bob@elsewhere.test', 'relay')).rejects.toMatchObject({
    responseCode: 550,
    response: expect.stringMatching(/outbound mail disabled/),
  });
});
