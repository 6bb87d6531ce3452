// The worker loads the prebuilt workflow bundle only while it is newer than every workflow
// source and the lockfile; a stale or missing bundle makes it bundle the sources itself.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prebuiltBundleIsStale, WORKFLOW_INTERCEPTOR_MODULES, workflowCode } from '../../workers/workflow-bundle';

let root: string;
const at = (file: string, minutesAgo: number) => {
  const t = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(path.join(root, file), t, t);
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mailshift-bundle-'));
  mkdirSync(path.join(root, 'workflows', 'nested'), { recursive: true });
  mkdirSync(path.join(root, '.build'));
  for (const f of ['workflows/index.ts', 'workflows/nested/step.ts', 'package-lock.json', '.build/workflow-bundle.js']) writeFileSync(path.join(root, f), '');
  for (const f of ['workflows/index.ts', 'workflows/nested/step.ts', 'package-lock.json']) at(f, 10);
  at('.build/workflow-bundle.js', 5);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

it('uses the prebuilt bundle while it is newer than every source', () => {
  expect(workflowCode(root).options).toEqual({ workflowBundle: { codePath: path.join(root, '.build/workflow-bundle.js') } });
  expect(prebuiltBundleIsStale(root)).toBe(false);
});

it.each(['workflows/index.ts', 'workflows/nested/step.ts', 'package-lock.json'])('bundles at start when %s is newer than the bundle', (file) => {
  at(file, 1);
  const code = workflowCode(root);
  // The worker bundles the sources with the project's workflow interceptors, as the prebuilt bundle has them.
  expect(code.options).toEqual({ workflowsPath: path.join(root, 'workflows', 'index.ts'), interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } });
  expect(code.description).toMatch(/older than the sources/);
  expect(prebuiltBundleIsStale(root)).toBe(true);
});

it('bundles at start when there is no prebuilt bundle', () => {
  rmSync(path.join(root, '.build/workflow-bundle.js'));
  expect(workflowCode(root).description).toMatch(/no prebuilt bundle/);
});

it('names the interceptor that drops signals of a reserved name', () => {
  expect(WORKFLOW_INTERCEPTOR_MODULES).toEqual([path.resolve(__dirname, '../../workflows/reserved-signals.ts')]);
});
