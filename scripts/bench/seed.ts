// Puts bench:sync's corpus (corpus.ts) into host1 by MULTIAPPEND and returns the
// fingerprints every destination is checked against (verify.ts).
import { appendMessages, type OutgoingMessage } from '../../activities/imap/multiappend';
import { connectImap as connect, type DovecotServer } from '../servers/dovecot';
import { benchCorpus, BENCH_FOLDERS } from './corpus';
import { fingerprint, pathOn } from './verify';

export interface Expected {
  folder: string;
  fp: string;
  size: number;
}

export async function seed(server: DovecotServer, user: string, password: string, messages: number): Promise<{ expected: Expected[]; bytes: number }> {
  const c = await connect(server, user, password);
  const expected: Expected[] = [];
  let bytes = 0;
  try {
    for (const f of BENCH_FOLDERS) if (f !== 'INBOX') await c.mailboxCreate(pathOn(server, f));
    const pending = new Map<string, OutgoingMessage[]>();
    const flush = async (folder: string) => {
      const batch = pending.get(folder) ?? [];
      if (batch.length) await appendMessages(c, pathOn(server, folder), batch, { multiappend: true });
      pending.set(folder, []);
    };
    for (const m of benchCorpus({ messages })) {
      expected.push({ folder: m.folder, fp: fingerprint(m.folder, m.raw, m.flags, m.internalDate), size: m.raw.length });
      bytes += m.raw.length;
      const batch = pending.get(m.folder) ?? [];
      batch.push({ content: m.raw, flags: m.flags, internalDate: m.internalDate });
      pending.set(m.folder, batch);
      if (batch.length >= 50 || batch.reduce((n, x) => n + x.content.length, 0) > 8e6) await flush(m.folder);
    }
    for (const f of pending.keys()) await flush(f);
  } finally {
    await c.logout();
  }
  return { expected, bytes };
}
