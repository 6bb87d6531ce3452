// `mailshift validate`, `schema` and the generated docs, and the exit codes that need no
// Temporal server (usage, invalid spec, unreachable server).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { docFiles, PROJECT_ROOT, specJsonSchema } from '../../scripts/cli/schema';
import { cli, specFile } from './capture';

const run = cli();
const future = new Date(Date.now() + 7 * 86_400_000);
const good = demoSpec('classical', future);

/** A spec with one problem in many places. */
function badSpec() {
  const spec = structuredClone(good) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  spec.name = 'Not A Name';
  spec.host1.port = 70000;
  spec.mailboxes[1].source.credential = 'hunter2';
  spec.mailboxes[2].source.user = spec.mailboxes[0].source.user;
  spec.mailboxes[0].colour = 'blue';
  spec.dns.lowTtl = 5;
  spec.schedule.migrationAt = '2001-01-01T00:00:00Z';
  delete spec.approvals;
  return spec;
}

describe('mailshift validate', () => {
  it('reads a mailbox list by reference, and names the line of a bad row', async () => {
    const { mailboxes, ...spec } = good;
    const { credential, masterUser, masterUserSeparator } = mailboxes[0].source;
    const list = specFile('batch.csv', 'EmailAddress,UserName,DestinationPassword,Wave\nalice,alice,env:A,pilot\nbob,bob,env:B,\n');
    const ok = await run(
      'validate',
      specFile('listed.json', { ...spec, mailboxList: { from: `file:${list}`, defaults: { source: { credential, masterUser, masterUserSeparator } } } }),
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/2 mailbox\(es\) in 2 wave\(s\) \(pilot, main\)/);
    const bad = await run('validate', specFile('listed-bad.json', { ...spec, mailboxList: { from: `file:${list}` } }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('mailboxList[line 2].source.credential: ');
    expect(bad.stderr).toContain('mailboxList[line 3].source.credential: ');
  });

  it('lists every problem with its field path and exits 2', async () => {
    const r = await run('validate', specFile('bad.json', badSpec()));
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/bad\.json: \d+ problem\(s\):/);
    for (const path of [
      'name: must be 1-63 lower-case',
      'host1.port: ',
      'mailboxes[1].source.credential: must be a secret reference',
      'mailboxes[0].colour: unknown field',
      'dns.lowTtl: ',
      'approvals: ',
      'schedule.migrationAt: 2001-01-01T00:00:00Z is in the past',
    ]) {
      expect(lines.some((l) => l.trim().startsWith(path))).toBe(true);
    }
    expect(r.stdout).toBe('');
  });

  it('gives the problems as JSON for scripts', async () => {
    const r = await run('validate', specFile('bad2.json', badSpec()), '--json');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.problems).toEqual(expect.arrayContaining([{ path: 'mailboxes[0].colour', message: 'unknown field' }]));
    expect(out.problems.length).toBeGreaterThanOrEqual(7);
  });

  it('accepts a good spec in JSON and in YAML, and names the workflow it would start', async () => {
    const json = await run('validate', specFile('good.json', good), '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, name: 'sandbox-classical', workflowType: 'classicalMigration', problems: [] });
    const yaml = await run('validate', specFile('good.yaml', stringify(demoSpec('lucky', future))));
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/valid\. Migration "sandbox-lucky" \(lucky, workflow luckyMigration\): 3 mailbox\(es\) in 2 wave\(s\)/);
    const mxFirst = await run('validate', specFile('mx-first.json', demoSpec('mx-first', future)), '--json');
    expect(JSON.parse(mxFirst.stdout)).toMatchObject({ ok: true, name: 'sandbox-mx-first', workflowType: 'mxFirstMigration', problems: [] });
  });

  it('warns, naming the field, when users keep a way to change mail on host1 after the final sync', async () => {
    const { doveadmConfig, ...denyList } = good.access as { method: string; denyFile: string; doveadmConfig: string };
    expect(doveadmConfig).toBeTruthy();
    const open = await run('validate', specFile('no-kick.json', { ...good, access: denyList }));
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(/valid\./);
    expect(open.stdout).toMatch(/warning: access\.doveadmConfig: not set: .*sessions already open on host1 stay open/);
    const told = await run('validate', specFile('notify-only.json', { ...good, access: { method: 'notify-only' } }), '--json');
    expect(JSON.parse(told.stdout)).toMatchObject({ ok: true, warnings: [{ path: 'access.method', message: expect.stringMatching(/nothing stops a user/) }] });
    // Sessions closed at the cut: nothing to warn of. mx-first leaves host1 readable on purpose.
    expect((await run('validate', specFile('kick.json', good))).stdout).not.toMatch(/warning/);
    expect(JSON.parse((await run('validate', specFile('mx-first-w.json', demoSpec('mx-first', future)), '--json')).stdout).warnings).toEqual([]);
  });

  it('reports unreadable files, broken YAML and usage errors with exit 2', async () => {
    const missing = await run('validate', '/nonexistent/spec.json');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/\(file\): cannot read .*ENOENT/)]);
    const broken = await run('validate', specFile('broken.yaml', 'name: [unclosed\n'));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/\(file\): not valid YAML \(line \d+, column \d+\)/);
    expect((await run('validate')).code).toBe(2);
    const unknown = await run('validate', 'x.json', '--frobnicate');
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/Unknown option '--frobnicate'/)]);
    expect((await run('frobnicate')).code).toBe(2);
    const help = await run('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/exit codes \(except sync.*\):\n {2}0 {2}ok\n {2}1 .*\n {2}2 .*\n {2}3 .*refused.*\n {2}4 .*cannot reach Temporal/);
  });

  it('refuses what the run would refuse: a folder pattern that does not compile, a spec too large to start', async () => {
    const pattern = await run('validate', specFile('pattern.json', { ...good, sync: { include: ['(unclosed'] } }));
    expect(pattern.code).toBe(2);
    expect(pattern.stderr).toMatch(/^ {2}sync\.include\[0\]: not a valid regular expression: \/\(unclosed\/: /m);
    const [template] = good.mailboxes;
    const mailboxes = Array.from({ length: 20_000 }, (_, i) => ({
      ...template,
      source: { ...template.source, user: `user${i}` },
      destination: { ...template.destination, user: `user${i}` },
    }));
    const big = await run('validate', specFile('big.json', { ...good, mailboxes }));
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(
      /^ {2}mailboxes: the spec is [\d.]+ MB; a migration's input must stay under 1\.5 MB \(about [\d,]+ mailboxes like these\): split it into several migrations$/m,
    );
    expect(big.stdout).toBe('');
  });

  it('exits 4 when Temporal cannot be reached, after validating', async () => {
    const unreachable = cli({ env: { TEMPORAL_ADDRESS: '127.0.0.1:1' }, connectTimeoutMs: 500 });
    const r = await unreachable('start', specFile('good2.json', good));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
    expect((await unreachable('status', 'migration-x')).code).toBe(4);
  });
});

describe('mailshift schema and docs/', () => {
  it('prints the JSON Schema of the spec as an operator writes it (defaults optional, strict objects)', async () => {
    const r = await run('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'scenario', 'dns', 'schedule', 'approvals']));
    // The mailboxes are listed, or named by a file: one of the two (checked when validating).
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['mailboxes', 'mailboxList']));
    expect(schema.required).not.toContain('sync'); // prefault({}): may be left out
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.host1.properties.port).toMatchObject({ default: 993, type: 'integer' });
    expect(schema.properties.dns.properties.provider.oneOf.map((v: { properties: { kind: { const: string } } }) => v.properties.kind.const)).toEqual([
      'rfc2136',
      'powerdns',
    ]);
  });

  it('describes every field (each one .describe()d in workflows/spec.ts)', () => {
    const schema = JSON.stringify(specJsonSchema());
    const docs = docFiles();
    const rows = docs['docs/spec.md'].split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(80);
    const undescribed = rows.filter((r) => r.replace(/\\\|/g, '').split('|').at(-2)!.trim() === '').map((r) => r.split('|')[1].trim());
    expect(undescribed).toEqual([]);
    expect(schema).toContain('"description":"the migration hour, with its zone');
  });

  it('keeps docs/spec.schema.json and docs/spec.md equal to what the generator produces (mailshift schema --write-docs)', () => {
    for (const [file, text] of Object.entries(docFiles())) {
      expect({ file, text: readFileSync(path.join(PROJECT_ROOT, file), 'utf8') }).toEqual({ file, text });
    }
  });
});
