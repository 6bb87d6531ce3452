// This file stands for mailshift's next release, for test/faults/new-version.test.ts. The
// next release is today's workflows/classical-migration.ts with one new step: after an
// approver approves gate switch-mx and before the MX moves, check every mailbox again
// (the preflight verification), because the gate may have waited for days. The step is
// replay-safe because `patched()` guards it. A migration that already went past that
// point on the old code gets no patch marker, so it continues without the step.
//
// The file is a webpack loader. The test bundles "v2" as today's workflows/ with this
// loader applied to that one file, so v2 is byte for byte today's code plus this diff and
// follows the real runbook as it changes. Option `guarded: false` makes the same diff
// without `patched()`. That is the mistake the test's negative control must catch.

export const PATCH_ID = 'verify-before-mx-switch';

/** The line of today's runbook the new step follows. */
const ANCHOR = "await run.gate('switch-mx');";

export interface NextReleaseOptions {
  guarded: boolean;
}

export default function nextRelease(this: { getOptions(): NextReleaseOptions; resourcePath: string }, source: string): string {
  const { guarded } = this.getOptions();
  if (source.split(ANCHOR).length !== 2) throw new Error(`${this.resourcePath} no longer has exactly one \`${ANCHOR}\`: update the next release`);
  const step = guarded ? `if (patched('${PATCH_ID}')) await run.preflight();` : 'await run.preflight();';
  return `import { patched } from '@temporalio/workflow';\n${source.replace(ANCHOR, `${ANCHOR}\n${step}`)}`;
}
