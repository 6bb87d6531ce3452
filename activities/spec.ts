// The migration spec, validated once, when a migration starts. The workflow runs this as a
// local activity, so its result is recorded in history: replaying a running migration
// never re-validates with a later release's (perhaps stricter) schema.
import { ApplicationFailure } from '@temporalio/common';
import { mailboxList, parseSpec, SpecError, specProblems, type MigrationSpec } from '../workflows/spec';
import { readMailboxList } from './mailbox-list';

/** Past this many, problems are counted, not listed: an error must stay readable (and small). */
const MAX_PROBLEMS = 100;

/**
 * parseSpec, with the mailboxes read from `mailboxList` when the spec names one: the
 * problems of listed mailboxes name their line (`mailboxList[line 7].source.user`).
 */
export async function loadSpec(input: unknown, now: Date): Promise<MigrationSpec> {
  try {
    const ref = (input as { mailboxList?: unknown } | null)?.mailboxList;
    if (ref === undefined) return parseSpec(input, now);
    const spec = input as Record<string, unknown>;
    if (spec.mailboxes !== undefined) throw new SpecError(['mailboxList: give the mailboxes here (mailboxes) or in a file (mailboxList), not both']);
    const parsedRef = mailboxList.safeParse(ref);
    if (!parsedRef.success) {
      // The spec's own problems say what is wrong with the reference (less the mailboxes it leaves out).
      const problems = specProblems({ ...spec, mailboxes: undefined }, now).filter((p) => !p.startsWith('mailboxes:'));
      throw new SpecError(problems);
    }
    const listed = await readMailboxList(parsedRef.data);
    let problems = listed.problems;
    try {
      if (!problems.length)
        return { ...parseSpec({ ...spec, mailboxes: listed.mailboxes }, now), listed: { sha256: listed.sha256!, count: listed.mailboxes.length } };
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      problems = err.problems.map((p) =>
        p.replace(/^mailboxes\[(\d+)\]/, (_, i) => `mailboxList[line ${listed.lines[+i]}]`).replace(/^mailboxes\b/, 'mailboxList'),
      );
      problems = problems.map((p) => p.replace(/duplicate of mailboxes\[(\d+)\]/, (_, i) => `duplicate of line ${listed.lines[+i]}`));
    }
    throw new SpecError(problems);
  } catch (err) {
    if (err instanceof SpecError && err.problems.length > MAX_PROBLEMS) {
      const more = err.problems.length - MAX_PROBLEMS;
      throw new SpecError([...err.problems.slice(0, MAX_PROBLEMS), `(spec): and ${more.toLocaleString('en')} more problems`]);
    }
    throw err;
  }
}

/**
 * `now` is the workflow's clock, against which the migration hour must be in the future.
 * A spec with a mailbox list comes back without its mailboxes: the workflows read the list
 * by pages (it is in their history once, as a reference and a digest, however long).
 */
export async function validateSpec({ spec, now }: { spec: unknown; now: string }): Promise<MigrationSpec> {
  try {
    const loaded = await loadSpec(spec, new Date(now));
    return loaded.listed ? { ...loaded, mailboxes: [] } : loaded;
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
    throw err;
  }
}
