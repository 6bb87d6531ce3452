// Reading and checking a migration spec file (JSON or YAML), listing every problem by
// field path with the same rules the workflow applies (activities/spec.ts loadSpec; a
// mailbox list by reference is read here as the workers will read it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { loadSpec } from '../../activities/spec';
import { SpecError, type MigrationSpec, type MigrationSpecInput } from '../../workflows/spec';

export interface Problem {
  /** The field path, e.g. `mailboxes[1].source.credential`, or `(file)` / `(spec)`. */
  path: string;
  message: string;
}

export type CheckedSpec = { ok: true; file: string; input: MigrationSpecInput; spec: MigrationSpec } | { ok: false; file: string; problems: Problem[] };

/** `path: message` as parseSpec words it; the path itself never contains ": ". */
const split = (problem: string): Problem => {
  const at = problem.indexOf(': ');
  return at < 0 ? { path: '(spec)', message: problem } : { path: problem.slice(0, at), message: problem.slice(at + 2) };
};

/** Reads `file` (JSON, or YAML by extension or when it is not JSON) and validates it. */
export async function checkSpecFile(file: string, now: Date, cwd = process.cwd()): Promise<CheckedSpec> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    return {
      ok: false,
      file,
      problems: [{ path: '(file)', message: `cannot read ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }],
    };
  }
  let input: unknown;
  const yaml = /\.ya?ml$/i.test(file);
  try {
    input = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    const message = err instanceof YAMLParseError ? err.message.split('\n')[0] : (err as Error).message;
    return { ok: false, file, problems: [{ path: '(file)', message: `not valid ${yaml ? 'YAML' : 'JSON'}${where}: ${message}` }] };
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, file, problems: [{ path: '(spec)', message: 'a spec is an object (a JSON or YAML mapping)' }] };
  }
  try {
    return { ok: true, file, input: input as MigrationSpecInput, spec: await loadSpec(input, now) };
  } catch (err) {
    if (err instanceof SpecError) return { ok: false, file, problems: err.problems.map(split) };
    throw err;
  }
}

/** The workflow type that runs a scenario. */
const WORKFLOW_TYPES = {
  classical: 'classicalMigration',
  lucky: 'luckyMigration',
  'mx-first': 'mxFirstMigration',
  'hold-and-release': 'holdAndReleaseMigration',
} as const;
export const workflowTypeOf = (spec: MigrationSpec) => WORKFLOW_TYPES[spec.scenario];
