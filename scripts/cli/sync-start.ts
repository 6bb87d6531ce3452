// Starts `mailshift sync` from its bundle with V8's code cache: compiling the bundle's 2 MB
// is about a third of an unchanged mailbox's whole re-sync. The first run (or the first after
// a rebuild) writes the cache when the command ends, with every function it compiled.
// The cache holds compiled code only, never a run's data. Where .build is read-only the
// command simply runs without it.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

const bundle = path.join(__dirname, 'mailshift-sync.js');
const cacheFile = `${bundle}.cache`;
const source = readFileSync(bundle, 'utf8');
// V8 checks a cache against the source's length only: the bundle's digest heads the file.
const digest = createHash('sha1').update(source).digest();

function readCache(): Buffer | undefined {
  try {
    const file = readFileSync(cacheFile);
    return file.subarray(0, digest.length).equals(digest) ? file.subarray(digest.length) : undefined;
  } catch {
    return undefined;
  }
}

const cachedData = readCache();
const script = new Script(wrap(source), { filename: bundle, cachedData });
if (!cachedData || script.cachedDataRejected) {
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
