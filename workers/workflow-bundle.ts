// The workflow code a worker loads. A prebuilt bundle (`npm run build:workflows`, which
// `npm run setup` runs) spares each worker webpack at start: about 100 MB less memory and
// a few seconds. It is used only while it is newer than every workflow source and the
// installed packages; otherwise the worker bundles the sources itself, so it never runs
// stale workflow code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The workflow interceptor modules every bundle of the project's workflows carries (the
 * prebuilt one, the worker's own, the tests'): reserved-signals.ts drops `__temporal_…`
 * signals, which would otherwise fail the workflow tasks of a runbook that refuses unknown
 * signal names. Anything that bundles or loads the workflows passes this list.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: string[] = [require.resolve('../workflows/reserved-signals')];

export const workflowsDir = (root = PROJECT_ROOT) => path.join(root, 'workflows');
export const prebuiltBundlePath = (root = PROJECT_ROOT) => path.join(root, '.build', 'workflow-bundle.js');

/** The newest modification time of what goes into the bundle: workflow sources and the lockfile. */
function newestSource(root: string): number {
  let newest = existsSync(path.join(root, 'package-lock.json')) ? statSync(path.join(root, 'package-lock.json')).mtimeMs : 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(workflowsDir(root));
  return newest;
}

export type WorkflowCode = { workflowBundle: { codePath: string } } | { workflowsPath: string; interceptors: { workflowModules: string[] } };

/** The prebuilt bundle when it is up to date, else the sources (bundled by the worker at start). */
export function workflowCode(root = PROJECT_ROOT): { options: WorkflowCode; description: string } {
  const bundle = prebuiltBundlePath(root);
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(root)) {
    return { options: { workflowBundle: { codePath: bundle } }, description: `prebuilt bundle ${path.relative(root, bundle)}` };
  }
  const why = existsSync(bundle) ? 'the prebuilt bundle is older than the sources' : 'no prebuilt bundle';
  const options = { workflowsPath: require.resolve(workflowsDir(root)), interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } };
  return { options, description: `bundled at start (${why}; npm run build:workflows)` };
}

/** Whether `npm run build:workflows` has anything to do. */
export function prebuiltBundleIsStale(root = PROJECT_ROOT): boolean {
  return !('workflowBundle' in workflowCode(root).options);
}
