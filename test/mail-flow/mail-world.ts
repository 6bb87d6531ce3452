// The mail-flow tests' world: host1 and host2 (Dovecot, taking LMTP) and the MX pair in
// front of them (mx1 on 127.0.0.1 into host1, mx2 on 127.0.0.2 into host2), in a fresh
// directory that the Postfix and Dovecot users can enter; with `relay`, the holding relay
// too (on 127.0.0.3, delivering into host1 unless held or re-routed).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { startDovecot, type DovecotServer, type MailUser } from '../../scripts/servers/dovecot';
import { startMxPair, type MxPair } from '../../scripts/servers/mx-pair';

export interface MailWorld {
  dir: string;
  host1: DovecotServer;
  host2: DovecotServer;
  mx: MxPair;
  stop(): Promise<void>;
}

export async function startMailWorld(name: string, users: MailUser[], o: { relay?: boolean } = {}): Promise<MailWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), `mailshift-${name}-`));
  chmodSync(dir, 0o755); // Dovecot's auth and Postfix's processes enter it as other users
  const started: { stop(): Promise<unknown> }[] = [];
  const stop = async () => {
    for (const s of started.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const host1 = await startDovecot({ name: 'host1', dir: path.join(dir, 'host1'), layout: 'inbox-prefix-dot', users, lmtp: true });
    started.push(host1);
    const host2 = await startDovecot({ name: 'host2', dir: path.join(dir, 'host2'), layout: 'slash-no-prefix', users, lmtp: true });
    started.push(host2);
    const mx = await startMxPair({
      dir,
      domains: ['example.test'],
      mx1: { address: '127.0.0.1', lmtpPort: host1.lmtpPort! },
      mx2: { address: '127.0.0.2', lmtpPort: host2.lmtpPort! },
      ...(o.relay && { relay: { address: '127.0.0.3', lmtpPort: host1.lmtpPort! } }),
    });
    started.push(mx);
    return { dir, host1, host2, mx, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sends one message by SMTP to the MX at `host` (the world's port), its Message-ID `<subject@tag>`. */
export const sendVia = (world: MailWorld, host: string, to: string | string[], subject: string, tag: string) =>
  nodemailer
    .createTransport({ host, port: world.mx.port, secure: false, ignoreTLS: true, logger: false })
    .sendMail({ from: 'sender@elsewhere.test', to, subject, text: 'hello', messageId: `<${subject}@${tag}>` });

/** The Message-IDs in a user's INBOX, sorted (duplicates kept); with `atLeast`, polls up to 10 s until that many arrived. */
export async function inbox(server: DovecotServer, user: string, atLeast = 0): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass: `${user}-secret` }, logger: false });
    await client.connect();
    const ids: string[] = [];
    try {
      const box = await client.mailboxOpen('INBOX');
      if (box.exists) for await (const m of client.fetch('1:*', { envelope: true })) ids.push(m.envelope!.messageId!);
    } finally {
      await client.logout();
    }
    if (ids.length >= atLeast || Date.now() > deadline) return ids.sort();
    await new Promise((r) => setTimeout(r, 100));
  }
}
