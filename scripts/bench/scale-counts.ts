// `npm run bench:scale`'s count of every mailbox at the end: messages per logical folder
// by IMAP STATUS, a bounded number of logins at a time.
import { connectImap, type DovecotServer } from '../servers/dovecot';

/** Messages per logical folder (INBOX, Sent) of one mailbox, by STATUS. */
export async function countFolders(server: DovecotServer, user: string, password: string): Promise<Record<'INBOX' | 'Sent', number>> {
  const c = await connectImap(server, user, password);
  try {
    const sent = server.layout === 'inbox-prefix-dot' ? 'INBOX.Sent' : 'Sent';
    const count = async (box: string) => {
      const s = await c.status(box, { messages: true }).catch(() => undefined);
      return s ? (s.messages ?? 0) : 0;
    };
    return { INBOX: await count('INBOX'), Sent: await count(sent) };
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** `fn` over every item, `parallel` at a time. */
export async function pool<T, R>(items: T[], parallel: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}
