// The mailboxes by reference (spec field `mailboxList`): a CSV in the shape of Exchange's
// migration batches (EmailAddress, UserName, Password) or JSONL, one mailbox a line. Each
// row becomes a mailbox of the spec, with the list's defaults for what it leaves out, and
// remembers its line: every problem names the line and the field. No problem ever quotes
// a row's text, which may hold a password where a reference belongs.
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import type { mailboxList } from '../workflows/spec';
import { readListSource, type ListLimits } from './mailbox-list-source';

type MailboxListRef = z.input<typeof mailboxList>;

export interface ListedMailboxes {
  /** Mailbox objects as a spec lists them (validated with the spec). */
  mailboxes: Record<string, unknown>[];
  /** The list's line of each mailbox. */
  lines: number[];
  /** What made rows unreadable (`path: message`, as the spec's problems). */
  problems: string[];
  /** SHA-256 of the list as read (hex): a running migration reads the same list or none. */
  sha256?: string;
}

/** CSV columns (matched without case or spaces) and where each goes in a mailbox. */
const CSV_COLUMNS: Record<string, { name: string; path: string[] }> = {
  emailaddress: { name: 'EmailAddress', path: ['destination', 'user'] },
  username: { name: 'UserName', path: ['source', 'user'] },
  password: { name: 'Password', path: ['source', 'credential'] },
  destinationpassword: { name: 'DestinationPassword', path: ['destination', 'credential'] },
  wave: { name: 'Wave', path: ['wave'] },
  contact: { name: 'Contact', path: ['contact'] },
};
const REQUIRED_COLUMNS = ['emailaddress', 'username'];

const at = (line: number, field = '') => `mailboxList[line ${line}]${field && `.${field}`}`;

export async function readMailboxList(ref: MailboxListRef, limits?: ListLimits): Promise<ListedMailboxes> {
  const none = (problem: string): ListedMailboxes => ({ mailboxes: [], lines: [], problems: [problem] });
  const source = await readListSource(ref, limits);
  if (typeof source === 'string') return none(source);
  const { bytes } = source;
  const format = ref.format ?? source.format;
  if (!format) return none(`mailboxList.format: give csv or jsonl: ${source.noFormat}`);
  const text = bytes.toString('utf8');
  const rows = format === 'csv' ? csvRows(text) : jsonlRows(text);
  const defaults = ref.defaults ?? {};
  return {
    ...rows,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    mailboxes: rows.mailboxes.map((row) => ({
      ...(defaults.wave && { wave: defaults.wave }),
      ...row,
      source: { ...defaults.source, ...(row.source as object) },
      destination: { ...defaults.destination, ...(row.destination as object) },
    })),
  };
}

function csvRows(text: string): ListedMailboxes {
  const out: ListedMailboxes = { mailboxes: [], lines: [], problems: [] };
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as unknown as typeof records;
  } catch (err) {
    // csv-parse names the line and the kind of fault; its message may quote the row.
    const e = err as { code?: string; lines?: number };
    out.problems.push(`${at(e.lines ?? 1)}: not valid CSV (${e.code ?? 'parse error'})`);
    return out;
  }
  const [header, ...body] = records;
  if (!header) return { ...out, problems: [`${at(1)}: the file is empty; the first line names the columns`] };
  const columns = header.record.map((h) => h.replace(/[\s_-]/g, '').toLowerCase());
  columns.forEach((c, i) => {
    if (!CSV_COLUMNS[c]) {
      const known = Object.values(CSV_COLUMNS)
        .map((k) => k.name)
        .join(', ');
      out.problems.push(`${at(header.info.lines)}: unknown column ${i + 1} "${header.record[i].slice(0, 40)}"; the columns are ${known}`);
    } else if (columns.indexOf(c) !== i) out.problems.push(`${at(header.info.lines)}: column ${CSV_COLUMNS[c].name} is given twice`);
  });
  for (const c of REQUIRED_COLUMNS) if (!columns.includes(c)) out.problems.push(`${at(header.info.lines)}: no column ${CSV_COLUMNS[c].name}`);
  if (out.problems.length) return out;
  for (const { record, info } of body) {
    if (record.length !== columns.length) {
      out.problems.push(`${at(info.lines)}: has ${record.length} fields; the header names ${columns.length}`);
      continue;
    }
    const row: Record<string, Record<string, string> | string> = {};
    record.forEach((value, i) => {
      const [first, second] = CSV_COLUMNS[columns[i]].path;
      // An empty cell leaves the field to the list's defaults.
      if (value === '') return;
      if (second) row[first] = { ...(row[first] as Record<string, string>), [second]: value };
      else row[first] = value;
    });
    out.mailboxes.push(row);
    out.lines.push(info.lines);
  }
  return out;
}

function jsonlRows(text: string): ListedMailboxes {
  const out: ListedMailboxes = { mailboxes: [], lines: [], problems: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      // JSON.parse's message quotes the text: a password must not reach an error.
      out.problems.push(`${at(i + 1)}: not valid JSON`);
      return;
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) out.problems.push(`${at(i + 1)}: must be a mailbox object`);
    else {
      out.mailboxes.push(row as Record<string, unknown>);
      out.lines.push(i + 1);
    }
  });
  return out;
}
