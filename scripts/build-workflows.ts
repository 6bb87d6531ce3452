// `npm run build:workflows`: bundles the workflow code once, for every worker to load
// (workers/workflow-bundle.ts); does nothing while the bundle is up to date.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prebuiltBundleIsStale, prebuiltBundlePath, WORKFLOW_INTERCEPTOR_MODULES, workflowsDir } from '../workers/workflow-bundle';

async function main(): Promise<void> {
  const out = prebuiltBundlePath();
  if (!prebuiltBundleIsStale()) {
    console.log(`workflow bundle up to date: ${out}`);
    return;
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve(workflowsDir()), workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES });
  mkdirSync(path.dirname(out), { recursive: true });
  // Written whole, then renamed: a worker starting meanwhile never reads half a bundle.
  writeFileSync(`${out}.${process.pid}`, code);
  renameSync(`${out}.${process.pid}`, out);
  console.log(`workflow bundle written: ${out} (${(code.length / 1e6).toFixed(1)} MB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
