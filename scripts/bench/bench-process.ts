// What every scale bench's process needs: its numeric options, and clean-up of what it
// started (servers, workers, its directory) even on an error or Ctrl-C.
export function option(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive whole number`);
  return n;
}

const cleanups: { what: string; run: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;

/** Runs at the end, the last added first. */
export function atEnd(what: string, run: () => Promise<void> | void): void {
  cleanups.push({ what, run });
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        process.stderr.write(`cleanup (${c.what}) failed: ${(err as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

/** Runs a bench's main, then the clean-ups; Ctrl-C cleans up too. */
export function runBench(name: string, main: (argv: string[]) => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping everything …\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  main(process.argv.slice(2))
    .catch((err: unknown) => {
      process.stderr.write(`${name} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    })
    .finally(() => cleanup());
}
