// Our reading of a FETCH row (activities/imap/fetch-row.ts) is held to imapflow's own
// (its parser, then its formatter) on the same bytes: the rows it reads give the same
// values, and every row it cannot vouch for is left to imapflow. Plus a few thousand rows
// built at random and damaged at random: whatever it accepts, imapflow reads the same way.
import { readFetchRow, type FetchedRow, type RowItems } from '../../activities/imap/fetch-row';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('imapflow/lib/handler/imap-handler.js') as { parser: (b: Buffer, o: { literals: Buffer[] }) => Promise<unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tools = require('imapflow/lib/tools.js') as { formatMessageResponse: (u: unknown, m: object) => Promise<Record<string, unknown>> };

/** A row as the stream gives it: its text lines (each literal's marker ending one) and literals. */
function split(wire: string): { text: Buffer; literals: Buffer[] } {
  const literals: Buffer[] = [];
  let text = '';
  let rest = wire;
  for (;;) {
    const m = /\{(\d+)\}\r\n/.exec(rest);
    if (!m) break;
    text += rest.slice(0, m.index + m[0].length);
    literals.push(Buffer.from(rest.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1])), 'latin1'));
    rest = rest.slice(m.index + m[0].length + Number(m[1]));
  }
  return { text: Buffer.from(text + rest, 'latin1'), literals };
}

/** imapflow's values for the same row, in our terms; undefined when it cannot read it. */
async function imapflowReads(wire: string): Promise<FetchedRow | undefined> {
  const { text, literals } = split(wire);
  const payload = text.subarray(0, text.length - 2); // the stream hands it over without its CRLF
  let parsed: unknown;
  try {
    parsed = await parser(payload, { literals });
  } catch {
    return undefined;
  }
  const m = await tools.formatMessageResponse(parsed, { path: 'INBOX', uidValidity: 1n });
  return {
    uid: m.uid as number,
    ...(m.size !== undefined && { size: m.size as number }),
    ...(m.internalDate !== undefined && { internalDate: new Date(m.internalDate as Date).getTime() }),
    ...(m.flags !== undefined && { flags: [...(m.flags as Set<string>)] }),
    ...(m.headers !== undefined && { headers: m.headers as Buffer }),
    ...(m.source !== undefined && { source: m.source as Buffer }),
  };
}

const ours = (wire: string, items: RowItems) => {
  const { text, literals } = split(wire);
  return readFetchRow(text, literals, items);
};

const LISTING: RowItems = { size: true, flags: true, internalDate: true };
const READ: [string, string, RowItems][] = [
  ['a listing row', '* 12 FETCH (UID 5 RFC822.SIZE 123 FLAGS (\\Seen $Label1 Project-X) INTERNALDATE "05-Mar-2015 09:07:03 +0000")\r\n', LISTING],
  ['items in any order, MODSEQ too', '* 1 FETCH (MODSEQ (77) FLAGS () INTERNALDATE " 5-Mar-2015 23:59:59 -0800" UID 9 RFC822.SIZE 0)\r\n', LISTING],
  [
    'identity headers',
    '* 2 FETCH (UID 6 RFC822.SIZE 10 FLAGS (\\Seen) INTERNALDATE "01-Jan-2024 00:00:00 +0000" BODY[HEADER.FIELDS (MESSAGE-ID DATE)] {21}\r\nMessage-ID: <a@b>\r\n\r\n)\r\n',
    { ...LISTING, headers: true },
  ],
  ['a body', '* 3 FETCH (UID 7 BODY[] {12}\r\nSubject: x\r\n)\r\n', { source: true }],
  ['an empty body', '* 3 FETCH (UID 8 BODY[] {0}\r\n)\r\n', { source: true }],
  ['8-bit bytes in the literal', '* 3 FETCH (UID 10 BODY[] {4}\r\n\u00e9\u00ff\u0000x)\r\n', { source: true }],
];

it.each(READ)('reads %s as imapflow does', async (_name, wire, items) => {
  const row = ours(wire, items);
  expect(row).toBeDefined();
  expect(row).toEqual(await imapflowReads(wire));
});

const LEFT: [string, string, RowItems][] = [
  ['a NIL body', '* 3 FETCH (UID 7 BODY[] NIL)\r\n', { source: true }],
  ['a quoted body', '* 3 FETCH (UID 7 BODY[] "abc")\r\n', { source: true }],
  ['a partial', '* 3 FETCH (UID 7 BODY[]<0> {3}\r\nabc)\r\n', { source: true }],
  ['an item it does not know', '* 3 FETCH (UID 7 EMAILID (M1) BODY[] {3}\r\nabc)\r\n', { source: true }],
  ['no UID', '* 3 FETCH (BODY[] {3}\r\nabc)\r\n', { source: true }],
  ['a flag with other characters', '* 1 FETCH (UID 1 RFC822.SIZE 1 FLAGS (Urgent!) INTERNALDATE "01-Jan-2024 00:00:00 +0000")\r\n', LISTING],
  ['an item missing', '* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE "01-Jan-2024 00:00:00 +0000")\r\n', LISTING],
  ['an unsolicited flag change', '* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n', { source: true }],
  ['a body not asked for', '* 3 FETCH (UID 7 BODY[] {3}\r\nabc)\r\n', LISTING],
  ['a date that is not one', '* 1 FETCH (UID 1 RFC822.SIZE 1 FLAGS () INTERNALDATE "someday")\r\n', LISTING],
  ['an escaped date', '* 1 FETCH (UID 1 RFC822.SIZE 1 FLAGS () INTERNALDATE "01-Jan-2024 00:00:00 +0000\\"")\r\n', LISTING],
  ['a literal of another size', '* 3 FETCH (UID 7 BODY[] {4}\r\nabc)\r\n', { source: true }],
  ['lowercase names', '* 3 FETCH (uid 7 body[] {3}\r\nabc)\r\n', { source: true }],
  ['non-ASCII in the text', '* 1 FETCH (UID 1 RFC822.SIZE 1 FLAGS (\u00e9t\u00e9) INTERNALDATE "01-Jan-2024 00:00:00 +0000")\r\n', LISTING],
  ['a UID of 11 digits', '* 3 FETCH (UID 12345678901 BODY[] {3}\r\nabc)\r\n', { source: true }],
  ['an item twice', '* 3 FETCH (UID 7 UID 8 BODY[] {3}\r\nabc)\r\n', { source: true }],
  ['a tagged line', 'A1 OK FETCH (UID 7)\r\n', {}],
  ['EXPUNGE', '* 3 EXPUNGE\r\n', {}],
  [
    'a row too long',
    `* 1 FETCH (UID 1 RFC822.SIZE 1 FLAGS (${Array.from({ length: 1200 }, (_, i) => `k${i}`).join(' ')}) INTERNALDATE "01-Jan-2024 00:00:00 +0000")\r\n`,
    LISTING,
  ],
];

it.each(LEFT)('leaves %s to imapflow', (_name, wire, items) => {
  expect(ours(wire, items)).toBeUndefined();
});

/** Deterministic pseudo-random numbers (xorshift). */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return Math.abs(x) % n;
  };
}

it('reads whatever it accepts as imapflow does, on rows built and damaged at random', async () => {
  const pick = random(20261206);
  const FLAGS = [
    '\\Seen',
    '\\Answered',
    '\\Flagged',
    '\\Deleted',
    '\\Draft',
    '\\Recent',
    '$Label1',
    'Project-X',
    'NonJunk',
    '$MailFlagBit0',
    'a.b_c',
    'Urgent!',
    '\\*',
    'x]',
  ];
  const CHARS = ' ()[]{}"\\\r\n0123456789AZaz.-<>~+*%\u00e9';
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const body = 'Subject: r\r\n\r\n' + 'x'.repeat(pick(40));
    const items = [
      `UID ${1 + pick(100000)}`,
      `RFC822.SIZE ${pick(1 << 20)}`,
      `FLAGS (${Array.from({ length: pick(4) }, () => FLAGS[pick(FLAGS.length)]).join(' ')})`,
      `INTERNALDATE "${1 + pick(28)}-${['Jan', 'Feb', 'Mar', 'Dec'][pick(4)]}-${1990 + pick(50)} ${String(pick(24)).padStart(2, '0')}:${String(pick(60)).padStart(2, '0')}:07 ${pick(2) ? '+' : '-'}0${pick(10)}00"`,
      ...(pick(2) ? [`MODSEQ (${pick(1e9)})`] : []),
      ...(pick(3) === 0 ? [`BODY[] {${body.length}}\r\n${body}`] : []),
    ].sort(() => pick(3) - 1);
    let wire = `* ${1 + pick(500)} FETCH (${items.join(' ')})\r\n`;
    // Damage about half of them: a character dropped, doubled or replaced.
    if (pick(2)) {
      const at = pick(wire.length - 2);
      const kind = pick(3);
      const c = CHARS[pick(CHARS.length)];
      wire =
        kind === 0 ? wire.slice(0, at) + wire.slice(at + 1) : kind === 1 ? wire.slice(0, at) + c + wire.slice(at) : wire.slice(0, at) + c + wire.slice(at + 1);
    }
    const hasBody = wire.includes('BODY[]');
    let row: FetchedRow | undefined;
    try {
      row = ours(wire, { ...LISTING, source: hasBody });
    } catch {
      row = undefined; // split() itself may choke on a damaged marker: then neither side reads it
    }
    if (!row) continue;
    accepted++;
    expect({ wire, row }).toEqual({ wire, row: await imapflowReads(wire) });
  }
  // Both kinds were exercised: many rows read, many left.
  expect(accepted).toBeGreaterThan(500);
  expect(accepted).toBeLessThan(2900);
});
