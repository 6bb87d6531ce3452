// What `mailshift validate` accepts, the run must not refuse later: folder patterns that
// do not compile. parseSpec (the CLI and the workflow's first step) refuses them, naming
// the field.
import { checkFolderRules } from '../../activities/imap/folder-plan';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { parseSpec, SpecError, type MigrationSpecInput } from '../../workflows/spec';

const now = new Date('2026-11-23T12:00:00Z');
const valid = (): MigrationSpecInput => JSON.parse(JSON.stringify(demoSpec('classical', new Date('2026-12-05T21:00:00Z'))));

/** The problems parseSpec lists for `input` (none when it is valid). */
function problemsOf(input: unknown): string[] {
  try {
    parseSpec(input, now);
    return [];
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
}

describe('folder patterns', () => {
  it.each([
    ['include', ['(unclosed'], 'sync.include[0]'],
    ['include', ['^INBOX$', '[z-a]'], 'sync.include[1]'],
    ['exclude', ['*Spam'], 'sync.exclude[0]'],
  ])('sync.%s %j: refused, as the sync engine refuses it', (field, patterns, path) => {
    expect(() => checkFolderRules({ [field]: patterns })).toThrow(/not a valid regular expression/);
    const problems = problemsOf({ ...valid(), sync: { [field]: patterns } });
    expect(problems).toEqual([expect.stringMatching(/: not a valid regular expression: \/.+\/: \w/)]);
    expect(problems[0].startsWith(`${path}: `)).toBe(true);
  });

  it('accepts the patterns the sync engine accepts', () => {
    const sync = { include: ['^INBOX$', '^Archive/.*'], exclude: ['Spam|Junk', '^Trash$'] };
    expect(() => checkFolderRules(sync)).not.toThrow();
    expect(parseSpec({ ...valid(), sync }, now).sync).toMatchObject(sync);
  });
});
