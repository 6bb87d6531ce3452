// Files that hold a secret (a password, a TSIG key, an API key) are their owner's alone,
// and a server's directory is not listed by others. Modes are set on every start, not
// only when a file is created: the sandbox restarts its servers over the files an earlier
// run (or an earlier version) left.
import { chmodSync, closeSync, fchmodSync, fchownSync, mkdirSync, openSync, writeSync } from 'node:fs';

/** The user a server process reads the file as, when it is not the one writing it. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** Writes `text` to `file`, mode 0600 (set before the secret is written), owned by `owner` when given. */
export function writeSecretFile(file: string, text: string, owner?: FileOwner): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Makes `file` (written by another program) its owner's alone. */
export const keepPrivate = (file: string): void => chmodSync(file, 0o600);

/**
 * Creates `dir` if needed, and lets only its owner list it. `traverse`: others may still
 * enter it, for server processes running as other users (Dovecot's login and mail processes).
 */
export function privateDir(dir: string, options: { traverse?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, options.traverse ? 0o711 : 0o700);
}
