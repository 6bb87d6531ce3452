// What `mailshift validate` accepts, the run must not refuse later: folder patterns that
// do not compile, rename rules the sync engine cannot apply or that name a JavaScript
// object's own machinery, and a spec too large for a workflow's input. parseSpec (the CLI
// and the workflow's first step) refuses each, naming the field.
import { checkFolderRules } from '../../activities/imap/folder-plan';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { PAYLOAD_BUDGET_BYTES } from '../../workflows/payload-budget';
import { parseSpec, specProblems, type ListedSpecInput, type MigrationSpecInput } from '../../workflows/spec';

const now = new Date('2026-11-23T12:00:00Z');
const valid = (): ListedSpecInput => JSON.parse(JSON.stringify(demoSpec('classical', new Date('2026-12-05T21:00:00Z'))));

const problemsOf = (input: unknown) => specProblems(input, now);

/** A spec parsed from JSON text, as the CLI and Temporal read it: `__proto__` stays an own key. */
const fromJson = (spec: MigrationSpecInput, sync: string): unknown => JSON.parse(JSON.stringify(spec).replace(/}$/, `,"sync":${sync}}`));

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

describe('folder renames', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s as a folder to rename, from JSON', (key) => {
    const input = fromJson(valid(), `{"rename":{"${key}":"Archive","Old":"New"}}`) as { sync: { rename: object } };
    expect(Object.keys(input.sync.rename)).toEqual([key, 'Old']); // an own key, as JSON.parse makes it
    expect(problemsOf(input)).toEqual([expect.stringMatching(new RegExp(`^sync\\.rename\\.${key}: `))]);
  });

  it('never lets a rename rule reach the prototype of what it returns', () => {
    const input = fromJson(valid(), '{"rename":{"__proto__":{"polluted":"yes"}}}');
    expect(problemsOf(input)).toEqual([expect.stringMatching(/^sync\.rename\.__proto__: /)]);
    const spec = parseSpec(fromJson(valid(), '{"rename":{"Old":"New","Sent Items":"Sent"}}'), now);
    expect(Object.getPrototypeOf(spec.sync.rename)).toBe(Object.prototype);
    expect(Object.entries(spec.sync.rename)).toEqual([
      ['Old', 'New'],
      ['Sent Items', 'Sent'],
    ]);
  });

  it.each([
    ['', 'Archive'],
    ['Old', '/'],
    ['//', 'New'],
  ])('refuses a rule the sync engine cannot apply: "%s" to "%s"', (from, to) => {
    expect(() => checkFolderRules({ rename: { [from]: to } })).toThrow(/empty folder name/);
    expect(problemsOf({ ...valid(), sync: { rename: { [from]: to } } })).toEqual([expect.stringMatching(/^sync\.rename: .*names no folder/)]);
  });
});

describe('the size of a spec', () => {
  /** `count` mailboxes like the demo's. */
  function withMailboxes(count: number): MigrationSpecInput {
    const spec = valid();
    const [template] = spec.mailboxes;
    spec.mailboxes = Array.from({ length: count }, (_, i) => ({
      ...template,
      source: { ...template.source, user: `user${i}` },
      destination: { ...template.destination, user: `user${i}` },
      wave: 'everyone',
    }));
    return spec;
  }

  it('refuses 20,000 mailboxes (over 5 MB, with the checkout path in them), naming mailboxes, the size and how many fit', () => {
    const spec = withMailboxes(20_000);
    const bytes = JSON.stringify(spec).length;
    expect(bytes).toBeGreaterThan(5_000_000);
    const problems = problemsOf(spec);
    expect(problems).toHaveLength(1);
    const [, size, fit] =
      /^mailboxes: the spec is ([\d.]+) MB; a migration's input must stay under 1\.5 MB \(about ([\d,]+) mailboxes like these\): split it into several migrations$/.exec(
        problems[0],
      ) ?? [];
    expect(Number(size)).toBeCloseTo(bytes / 1e6, 1);
    // That many mailboxes do fit, and a hundred more do not.
    const fits = Number(fit.replace(/,/g, ''));
    expect(problemsOf(withMailboxes(fits))).toEqual([]);
    expect(problemsOf(withMailboxes(fits + 100))).toEqual([expect.stringMatching(/^mailboxes: the spec is/)]);
  });

  it('counts bytes, not characters: non-ASCII names weigh more', () => {
    const spec = withMailboxes(2_000);
    const chars = JSON.stringify(spec).length;
    const padding = Math.ceil((PAYLOAD_BUDGET_BYTES - chars) / 2) + 1_000; // under the budget in characters, over it in UTF-8 bytes
    spec.notifications.passwordInstructions = 'é'.repeat(padding);
    expect(JSON.stringify(spec).length).toBeLessThan(PAYLOAD_BUDGET_BYTES);
    expect(problemsOf(spec)).toEqual([expect.stringMatching(/^mailboxes: the spec is 1\.5\d MB/)]);
  });
});
