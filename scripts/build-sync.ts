// Builds what bin/mailshift runs for `mailshift sync` (run often, and what the benchmark
// times): .build/mailshift-sync.js, one file with its packages, and .build/sync-start.js,
// which starts it with V8's code cache (scripts/cli/sync-start.ts). bin/mailshift runs this
// whenever a source file or the installed packages are newer than the bundle.
import { build, type Plugin } from 'esbuild';
import { renameSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
const out = path.join(root, '.build');

// imapflow's CommonJS copy for imports too: multiappend.ts patches the copy it require()s,
// and a bundle would otherwise take imapflow's ES module copy for import statements.
const imapflowCommonJs: Plugin = {
  name: 'imapflow-commonjs',
  setup(b) {
    b.onResolve({ filter: /^imapflow$/ }, (args) => (args.kind === 'import-statement' ? { path: require.resolve('imapflow') } : undefined));
  },
};

async function main(): Promise<void> {
  const entries = { 'mailshift-sync': 'scripts/cli/sync-main.ts', 'sync-start': 'scripts/cli/sync-start.ts' };
  const tmp = `${process.pid}.tmp`;
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [`${name}.${tmp}`, path.join(root, file)])),
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    plugins: [imapflowCommonJs],
  });
  // Written whole, then renamed: a command starting meanwhile never reads half a bundle.
  for (const name of Object.keys(entries)) renameSync(path.join(out, `${name}.${tmp}.js`), path.join(out, `${name}.js`));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
