// Runs mailshift commands as functions, capturing what they print.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, type CliIo } from '../../scripts/mailshift';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(base: Omit<CliIo, 'out' | 'err'> = {}) {
  return async (...argv: string[]): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { ...base, out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mailshift-cli-'));

/** Writes a spec file (JSON, or raw text such as YAML) and returns its path. */
export function specFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}
