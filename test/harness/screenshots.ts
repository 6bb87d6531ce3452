// Where a browser test saves a screenshot. Those the README shows are rewritten only by
// `npm run docs:screenshots`; a plain test run keeps its copies out of the repository
// (test/e2e/screenshots/, ignored), so running the tests never changes a tracked file.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** The path for screenshot `name`: docs/screenshots/ when the README's copies are being made, else test/e2e/screenshots/. */
export function screenshotPath(name: string, forReadme = false): string {
  const dir =
    forReadme && process.env.MAILSHIFT_DOCS_SCREENSHOTS === '1' ? path.join(root, 'docs', 'screenshots') : path.join(root, 'test', 'e2e', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
