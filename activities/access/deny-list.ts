// The `dovecot-deny-list` method: host1's Dovecot consults a passwd-file deny list before
// its real passdb:
//     passdb { driver = passwd-file  args = /etc/dovecot/deny-users  deny = yes }
// Listing a user there refuses their logins; removing them opens host1 again.
//  - The file is rewritten whole, atomically (temp file in the same directory, fsync,
//    rename): Dovecot never reads half a file. Other lines (comments, other users, extra
//    fields) are kept as they are. Users are written as bare `name` lines.
//  - Idempotent: a listed user is `already-cut`, an unlisted one `already-open`, and then
//    the file is not touched at all.
//  - Several activities may change the list at once (waves, retries): a lock file next to
//    it serialises them (O_EXCL create; a lock older than a minute is from a dead worker).
//  - Dovecot re-reads a passwd-file when its mtime or size changed, checking at most once
//    a second (measured with Dovecot 2.3: a login in the same second still passed). So the
//    new file's mtime is made to differ from the old one by at least a second, and after a
//    change we wait past Dovecot's next check before kicking sessions and returning: when
//    cutAccess returns, a new login is refused.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, rename, rm, stat, chmod, chown, utimes } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { AccessAction, AccessOutcome } from './schema';

/** Dovecot checks a passwd-file's stamp at most once a second; wait past that. */
export const DOVECOT_RELOAD_MS = 1_100;
const LOCK_STALE_MS = 60_000;
const LOCK_WAIT_MS = 30_000;

/** Users in a passwd-file deny list (the text before the first `:`; comments and blanks skipped). */
export function listedUsers(content: string): Set<string> {
  const users = new Set<string>();
  for (const line of content.split('\n')) {
    const t = line.replace(/\r$/, '');
    if (!t.trim() || t.trimStart().startsWith('#')) continue;
    users.add(t.split(':')[0]);
  }
  return users;
}

export function checkDenyListUser(user: string): void {
  if (/[:\s#]/.test(user)) {
    throw ApplicationFailure.nonRetryable(`user "${user}" cannot be written to a passwd-file deny list (it holds ":", "#" or a space)`, 'AccessInvalidUser');
  }
}

/** Adds (cut) or removes (restore) users; returns each user's outcome and whether the file changed. */
export async function updateDenyList(
  denyFile: string,
  action: AccessAction,
  users: string[],
): Promise<{ outcomes: Map<string, AccessOutcome>; changed: boolean }> {
  users.forEach(checkDenyListUser);
  return withLock(denyFile, async () => {
    const before = await stat(denyFile).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    const content = before ? await readFile(denyFile, 'utf8') : '';
    const listed = listedUsers(content);
    const outcomes = new Map<string, AccessOutcome>();
    let lines = content.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();

    if (action === 'cut') {
      for (const u of users) {
        if (listed.has(u)) outcomes.set(u, 'already-cut');
        else {
          outcomes.set(u, 'cut');
          listed.add(u);
          lines.push(u);
        }
      }
    } else {
      const remove = new Set(users.filter((u) => listed.has(u)));
      for (const u of users) outcomes.set(u, remove.has(u) ? 'restored' : 'already-open');
      lines = lines.filter((line) => {
        const t = line.replace(/\r$/, '');
        return !t.trim() || t.trimStart().startsWith('#') || !remove.has(t.split(':')[0]);
      });
    }
    const changed = [...outcomes.values()].some((o) => o === 'cut' || o === 'restored');
    if (changed) await writeAtomically(denyFile, lines.length ? `${lines.join('\n')}\n` : '', before);
    return { outcomes, changed };
  });
}

/** Replaces the file whole (temp file, fsync, rename), keeping its mode and owner, with an mtime its readers have not seen. */
export async function writeAtomically(file: string, content: string, before: Awaited<ReturnType<typeof stat>> | undefined): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Dovecot's auth process must keep reading it: same mode and owner as before.
    if (before) {
      await chmod(tmp, Number(before.mode) & 0o7777);
      if (process.getuid?.() === 0) await chown(tmp, Number(before.uid), Number(before.gid));
      // A stamp Dovecot has not seen: at least a second past the old mtime.
      const mtime = Math.max(Date.now() / 1000, Math.floor(Number(before.mtimeMs) / 1000) + 1);
      await utimes(tmp, mtime, mtime);
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // The rename is durable once the directory entry is on disk.
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync().catch(() => undefined);
  } finally {
    await dir.close();
  }
}

/** Runs `fn` holding `<file>.lock` (one change to the file at a time, across workers). */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline) {
        throw ApplicationFailure.retryable(`${file} is locked by another change (${lock}) for over ${LOCK_WAIT_MS / 1000} s`, 'AccessDenyListLocked');
      } else await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
