// An operator's program, for the tests of the `command` methods (access, provisioning,
// mail hold): a script written to a directory of its own, executable, with the lines it
// appends to files there readable back.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function writeTestProgram(name: string, source: string) {
  const dir = mkdtempSync(path.join(tmpdir(), `mailshift-${name}-`));
  const file = path.join(dir, name);
  writeFileSync(file, source);
  chmodSync(file, 0o755);
  return {
    dir,
    path: file,
    /** The non-empty lines of a file the program writes in its directory (none if it wrote none). */
    lines: (written: string) => (existsSync(path.join(dir, written)) ? readFileSync(path.join(dir, written), 'utf8').trim().split('\n').filter(Boolean) : []),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
