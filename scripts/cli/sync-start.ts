// Starts `mailshift sync` from its bundle with V8's code cache: compiling the bundle's 2 MB
// is about a third of an unchanged mailbox's whole re-sync. The first run (or the first after
// a rebuild) writes the cache when the command ends, with every function it compiled.
// The cache holds compiled code only, never a run's data. Where .build is read-only the
// command simply runs without it.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

const bundle = path.join(__dirname, 'mailshift-sync.js');
const cacheFile = `${bundle}.cache`;

function readCache(digest: Buffer): Buffer | undefined {
  try {
    const file = readFileSync(cacheFile);
    return file.subarray(0, digest.length).equals(digest) ? file.subarray(digest.length) : undefined;
  } catch {
    return undefined;
  }
}

/** The bundle compiled, with the cache when it is this bundle's; nothing else kept (memory). */
function compile(): { script: Script; digest: Buffer; cached: boolean } {
  const code = readFileSync(bundle);
  // V8 checks a cache against the source's length only: the bundle's digest heads the file.
  const digest = createHash('sha1').update(code).digest();
  const cachedData = readCache(digest);
  // esbuild writes ASCII (non-ASCII escaped): read as Latin-1, several times faster than UTF-8.
  const script = new Script(wrap(isAscii(code) ? code.toString('latin1') : code.toString()), { filename: bundle, cachedData });
  return { script, digest, cached: !!cachedData && !script.cachedDataRejected };
}

const { script, digest, cached } = compile();
if (!cached) {
  process.once('exit', () => {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // A cache is only ever a gain.
    }
  });
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
