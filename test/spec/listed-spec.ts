// The demo spec with its mailboxes by reference (mailboxList), and the problems loadSpec
// finds in a spec, for the tests of mailbox lists from a file or a URL.
import { loadSpec } from '../../activities/spec';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { SpecError } from '../../workflows/spec';

export const now = new Date('2026-11-23T12:00:00Z');

/** The demo spec with its mailboxes in the list `from`, host1 through its admin login. */
export function specWith(from: string, extra: Record<string, unknown> = {}, migrationAt = new Date('2026-12-05T21:00:00Z')) {
  const { mailboxes, ...spec } = demoSpec('classical', migrationAt);
  const admin = mailboxes[0].source;
  return {
    ...spec,
    mailboxList: { from, defaults: { source: { credential: admin.credential, masterUser: admin.masterUser, masterUserSeparator: '*' } }, ...extra },
  };
}

export async function problemsOf(input: unknown): Promise<string[]> {
  try {
    await loadSpec(input, now);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('the spec was accepted');
}
