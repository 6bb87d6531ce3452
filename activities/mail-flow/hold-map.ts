// The Postfix maps mailshift owns on host1's MTA (the hold map, the re-route map): one
// `address value` line per user, rewritten whole and atomically under a lock, as the
// Dovecot deny list is (activities/access/deny-list.ts). Lines mailshift did not write
// are kept. Idempotent: setting what is there, or removing what is not, changes nothing.
import { readFile, stat } from 'node:fs/promises';
import { withLock, writeAtomically } from '../access/deny-list';

/** A line's key (lower-cased, as postmap folds hash keys); none for comments and blank lines. */
const keyOf = (line: string): string | undefined => (line.trimStart().startsWith('#') ? undefined : line.trim().split(/\s+/)[0]?.toLowerCase() || undefined);

/** Sets (value) or removes (null) each address's entry; says whether the file changed. */
export async function updateMap(file: string, entries: Map<string, string | null>): Promise<boolean> {
  return withLock(file, async () => {
    const before = await stat(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    const lines = before ? (await readFile(file, 'utf8')).split('\n') : [];
    if (lines.at(-1) === '') lines.pop();
    const kept = lines.filter((l) => {
      const key = keyOf(l);
      return !key || !entries.has(key);
    });
    const wanted = [...entries].filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`);
    const next = [...kept, ...wanted];
    const current = lines.filter((l) => entries.has(keyOf(l) ?? ''));
    const changed = current.length !== wanted.length || current.some((l) => !wanted.includes(l.trim().replace(/\s+/, ' ')));
    if (changed) await writeAtomically(file, next.length ? `${next.join('\n')}\n` : '', before);
    return changed;
  });
}

/** The addresses a map has an entry for. */
export async function mapKeys(file: string): Promise<Set<string>> {
  const content = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
  return new Set(content.split('\n').flatMap((l) => keyOf(l) ?? []));
}
