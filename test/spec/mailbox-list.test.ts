// The mailboxes by reference: a CSV in Exchange's migration batch shape, or JSONL. Every
// bad row is named by its line and field, no problem quotes a row (it may hold a
// password), and a 50,000-row list is read and checked in seconds.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSpec } from '../../activities/spec';
import { now, problemsOf, specWith } from './listed-spec';

const dir = mkdtempSync(path.join(tmpdir(), 'mailbox-list-'));
const file = (name: string, text: string) => {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return `file:${full}`;
};

it('reads Exchange migration batch columns, with the defaults for what a row leaves out', async () => {
  const csv = file(
    'batch.csv',
    '\ufeffEmailAddress,UserName,Password,DestinationPassword,Wave,Contact\n' +
      'alice@new.example.test,alice,,env:ALICE_NEW,pilot,alice@home.example.test\n' +
      '"bob@new.example.test",bob,env:BOB_OLD,env:BOB_NEW,,\n',
  );
  const spec = await loadSpec(specWith(csv, { defaults: { source: { credential: 'env:ADMIN', masterUser: 'admin' }, wave: 'everyone' } }), now);
  expect(spec.mailboxes).toEqual([
    {
      source: { user: 'alice', credential: 'env:ADMIN', masterUser: 'admin', mechanism: 'password' },
      destination: { user: 'alice@new.example.test', credential: 'env:ALICE_NEW', mechanism: 'password' },
      wave: 'pilot',
      contact: 'alice@home.example.test',
    },
    {
      source: { user: 'bob', credential: 'env:BOB_OLD', masterUser: 'admin', mechanism: 'password' },
      destination: { user: 'bob@new.example.test', credential: 'env:BOB_NEW', mechanism: 'password' },
      wave: 'everyone',
    },
  ]);
});

it('names the line and the field of each bad row, and never quotes a password', async () => {
  const csv = file(
    'bad.csv',
    'EmailAddress,UserName,Password,DestinationPassword\n' +
      'alice@new.example.test,alice,Sup3rSecret!,env:A\n' + // a password where a reference belongs
      '\n' +
      'bob@new.example.test,,env:B,env:B2\n' + // no host1 user
      'carol@new.example.test,carol,env:C\n' + // a field short
      'dave@new.example.test,alice,env:D,env:D2\n', // alice again on host1
  );
  const problems = await problemsOf(specWith(csv, { defaults: {} }));
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^mailboxList\[line 5\]: has 3 fields; the header names 4$/)]));
  expect(problems.join('\n')).not.toContain('Sup3rSecret');
  // The row that could not be read stops the check there: fix it, and the fields come next.
  const fixed = file(
    'fixed.csv',
    'EmailAddress,UserName,Password,DestinationPassword\nalice@new.example.test,alice,Sup3rSecret!,env:A\n\nbob@new.example.test,,env:B,env:B2\ndave@new.example.test,alice,env:D,env:D2\n',
  );
  const fields = await problemsOf(specWith(fixed, { defaults: {} }));
  expect(fields).toEqual([
    expect.stringMatching(/^mailboxList\[line 2\]\.source\.credential: must be a secret reference/),
    expect.stringMatching(/^mailboxList\[line 4\]\.source\.user: /),
  ]);
  expect(fields.join('\n')).not.toContain('Sup3rSecret');
  // Duplicates are looked for once every row is well formed.
  const twice = file(
    'twice.csv',
    'EmailAddress,UserName,Password,DestinationPassword\nalice@new.example.test,alice,env:A,env:A2\ndave@new.example.test,ALICE,env:D,env:D2\n',
  );
  expect(await problemsOf(specWith(twice, { defaults: {} }))).toEqual(['mailboxList[line 3].source.user: duplicate of line 2: alice']);
});

it('refuses unknown or missing columns, a list beside inline mailboxes, and an unreadable file, by name', async () => {
  expect(await problemsOf(specWith(file('cols.csv', 'Email,UserName\nx,y\n')))).toEqual([
    'mailboxList[line 1]: unknown column 1 "Email"; the columns are EmailAddress, UserName, Password, DestinationPassword, Wave, Contact',
    'mailboxList[line 1]: no column EmailAddress',
  ]);
  expect(await problemsOf({ ...specWith(file('ok.csv', 'EmailAddress,UserName\na@b.test,a\n')), mailboxes: [] })).toEqual([
    'mailboxList: give the mailboxes here (mailboxes) or in a file (mailboxList), not both',
  ]);
  expect(await problemsOf(specWith(`file:${dir}/absent.csv`))).toEqual([`mailboxList.from: cannot read ${dir}/absent.csv (ENOENT)`]);
  expect(await problemsOf(specWith('users.csv'))).toEqual(['mailboxList.from: must be file:/absolute/path of a CSV or JSONL file, or its https:// URL']);
  expect(await problemsOf(specWith(file('users.txt', '')))).toEqual(['mailboxList.format: give csv or jsonl: the file name ends in neither .csv nor .jsonl']);
});

it('reads JSONL, one mailbox object a line, without quoting a line it cannot parse', async () => {
  const jsonl = file(
    'list.jsonl',
    '{"source":{"user":"alice"},"destination":{"user":"alice","credential":"env:A"}}\n' +
      '{"source":{"user":"bob", "credential": "hunter2"\n' +
      '{"source":{"user":"carol"},"destination":{"user":"carol","credential":"env:C"},"wave":"late","colour":"red"}\n',
  );
  expect(await problemsOf(specWith(jsonl))).toEqual(['mailboxList[line 2]: not valid JSON']);
  const fixed = file(
    'fixed.jsonl',
    '{"source":{"user":"alice"},"destination":{"user":"alice","credential":"env:A"}}\n\n{"source":{"user":"carol"},"destination":{"user":"carol","credential":"env:C"},"colour":"red"}\n',
  );
  expect(await problemsOf(specWith(fixed))).toEqual(['mailboxList[line 3].colour: unknown field']);
});

it('checks a 50,000-row list in seconds, and lists at most 100 problems', async () => {
  const rows = Array.from({ length: 50_000 }, (_, i) => `user${i}@new.example.test,user${i},,env:NEW_${i}`);
  const big = file('big.csv', `EmailAddress,UserName,Password,DestinationPassword\n${rows.join('\n')}\n`);
  const started = process.hrtime.bigint();
  // Read and checked in full, and accepted: the migration keeps the file's reference and digest, not its rows.
  const spec = await loadSpec(specWith(big), now);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  expect(spec.mailboxes).toHaveLength(50_000);
  expect(spec.listed).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), count: 50_000 });
  console.log(`50,000 rows read and checked in ${seconds.toFixed(2)} s`);

  const bad = file('bad-big.csv', `EmailAddress,UserName,Password,DestinationPassword\n${rows.map((r) => r.replace(',,', ',secret,')).join('\n')}\n`);
  const many = await problemsOf(specWith(bad));
  expect(many).toHaveLength(101);
  expect(many[0]).toMatch(/^mailboxList\[line 2\]\.source\.credential: /);
  expect(many[100]).toMatch(/^\(spec\): and [\d,]+ more problems$/);
});

it('names the line and the field of each of 20 bad rows among 50,000, and only those', async () => {
  const rows = Array.from({ length: 50_000 }, (_, i) => [`user${i}@new.example.test`, `user${i}`, '', `env:NEW_${i}`, `user${i}@home.example.test`]);
  // Four kinds of bad field, five rows each, spread over the file (line = row index + 2: the header is line 1).
  const kinds: [number, string, RegExp][] = [
    [2, 'Pa55word!', /^source\.credential: must be a secret reference/],
    [1, '', /^source\.user: /],
    [3, 'hunter2', /^destination\.credential: must be a secret reference/],
    [4, 'not an address', /^contact: /],
  ];
  const expected: { line: number; field: RegExp }[] = [];
  for (let k = 0; k < 20; k++) {
    const index = 1_234 + k * 2_417;
    const [column, value, field] = kinds[k % kinds.length];
    rows[index][column] = value;
    expected.push({ line: index + 2, field });
  }
  const csv = file('twenty-bad.csv', `EmailAddress,UserName,Password,DestinationPassword,Contact\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  // The size of the whole list is a problem of its own (not of a row): only the rows' are looked at here.
  const problems = (await problemsOf(specWith(csv))).filter((p) => p.startsWith('mailboxList[line'));
  expect(problems).toHaveLength(20);
  problems.forEach((p, k) => {
    const [, line, rest] = /^mailboxList\[line (\d+)\]\.(.*)$/.exec(p) ?? [];
    expect({ line: Number(line), rest }).toEqual({ line: expected[k].line, rest: expect.stringMatching(expected[k].field) });
  });
  expect(problems.join('\n')).not.toMatch(/Pa55word|hunter2/);
});
