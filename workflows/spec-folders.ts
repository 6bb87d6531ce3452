// The spec's folder rules as the sync engine applies them: include/exclude patterns and renames.
import { z } from 'zod';

/** A folder pattern compiles as the sync engine compiles it (activities/imap/folder-plan.ts). */
export const folderPattern = z.string().superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` });
  }
});

/**
 * Names a JavaScript object treats as its own machinery: as a rename rule, `__proto__`
 * would be dropped silently (or reach the prototype), the others shadow what every object
 * has. zod's record skips `__proto__` before any key check, so they are refused on the
 * raw input.
 */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Folder renames, as the sync engine applies them: each side names a folder ("/" separates levels). */
export const renames = z
  .record(z.string(), z.string())
  .superRefine((rules, ctx) => {
    const namesFolder = (name: string) => name.split('/').some((level) => level !== '');
    for (const [from, to] of Object.entries(rules)) {
      const bad = [from, to].find((name) => !namesFolder(name));
      if (bad !== undefined)
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(from)} to ${JSON.stringify(to)}: ${JSON.stringify(bad)} names no folder` });
    }
  })
  .default({});
// `value` is typed as the record's input so that MigrationSpecInput keeps its shape; at
// run time it may be anything, hence the checks.
export const folderRenames = z.preprocess((value: z.input<typeof renames>, ctx) => {
  if (value && typeof value === 'object') {
    for (const key of RESERVED_KEYS.filter((k) => Object.hasOwn(value, k))) {
      ctx.addIssue({ code: 'custom', path: [key], input: value, message: 'JavaScript reserves this name: it cannot be a folder to rename' });
    }
  }
  return value;
}, renames);
