// Builds what bin/mailshift runs for `mailshift sync` (run often, and what the benchmark
// times): .build/mailshift-sync.js, one file with its packages, and .build/sync-start.js,
// which starts it with V8's code cache (scripts/cli/sync-start.ts). bin/mailshift runs this
// whenever a source file or the installed packages are newer than the bundle.
import { build, type Plugin } from 'esbuild';
import { readFileSync, renameSync } from 'node:fs';
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

// libmime builds iconv-lite's whole GBK table when loaded (15 ms of every start), only to
// know DBCS decoders by their class; it is built when a charset is first looked at instead.
// imapflow never decodes a message for a sync. Fails the build if libmime changes.
const lazyDbcsDecoder: Plugin = {
  name: 'libmime-lazy-dbcs',
  setup(b) {
    b.onLoad({ filter: /libmime[\\/]dist[\\/]cjs[\\/]charset\.js$/ }, (args) => {
      const eager = "const DBCS_DECODER = iconv_lite_1.default.getCodec('gbk').decoder;";
      const check = 'codec.decoder === DBCS_DECODER';
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(eager) || !source.includes(check)) throw new Error(`${args.path} changed: re-read build-sync.ts`);
      return {
        contents: source
          .replace(eager, 'let DBCS_DECODER;')
          .replace(check, "codec.decoder === (DBCS_DECODER ??= iconv_lite_1.default.getCodec('gbk').decoder)"),
        loader: 'js',
      };
    });
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
    plugins: [imapflowCommonJs, lazyDbcsDecoder],
  });
  // Written whole, then renamed: a command starting meanwhile never reads half a bundle.
  for (const name of Object.keys(entries)) renameSync(path.join(out, `${name}.${tmp}.js`), path.join(out, `${name}.js`));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
