// Notice templates: plain-text files an operator can read and rewrite. The first line is
// `Subject: …`, the rest is the body; `{{name}}` is replaced by data.name, and
// `{{name|datetime}}` turns an ISO time with its offset into words a user reads
// ("Saturday 5 December 2026 at 22:00 (UTC+01:00)"). A directory named by the env
// variable MAILSHIFT_TEMPLATES_DIR overrides any of the built-in files (one file per
// kind; kinds it lacks keep the built-in text). A placeholder without a value is an
// error naming it: a notice with a silent blank where the migration hour should be is
// worse than no notice.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GATE_MEANING } from '../../workflows/gate-meaning';
import type { GateName } from '../../workflows/spec';
import { NOTICE_KINDS, type NoticeData, type NoticeKind, type NoticeValue } from './schema';

export const BUILTIN_TEMPLATES_DIR = path.join(__dirname, 'templates');
export const TEMPLATES_DIR_ENV = 'MAILSHIFT_TEMPLATES_DIR';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** The spec's `tls` of host2, as mail programs label the choice. */
export const IMAP_SECURITY_LABELS: Record<string, string> = { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' };

/** Keys that would put a secret into a notice: refused whatever the template says. */
const SECRET_KEY = /^(pass|passwd|password|pwd|secret|token|apikey|api_key|credential)$|(password|passwd|secret|token)$/i;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\|\s*([A-Za-z]+)\s*)?\}\}/g;

export interface NoticeTemplate {
  kind: NoticeKind;
  subject: string;
  body: string;
  /** The file it came from. */
  source: string;
}

export interface RenderedNotice {
  kind: NoticeKind;
  subject: string;
  text: string;
  source: string;
}

/** The template for a kind: the operator's override when the override directory has it. */
export async function loadTemplate(kind: NoticeKind, overrideDir = process.env[TEMPLATES_DIR_ENV]): Promise<NoticeTemplate> {
  if (!NOTICE_KINDS.includes(kind)) throw new TemplateError(`unknown notice kind "${kind}"`);
  let file = path.join(BUILTIN_TEMPLATES_DIR, `${kind}.txt`);
  if (overrideDir) {
    // A mistyped override directory must not silently fall back to the built-in texts.
    if (!existsSync(overrideDir) || !statSync(overrideDir).isDirectory()) {
      throw new TemplateError(`${TEMPLATES_DIR_ENV} is ${overrideDir}, which is not a directory`);
    }
    const candidate = path.join(overrideDir, `${kind}.txt`);
    if (existsSync(candidate)) file = candidate;
  }
  return parseTemplate(kind, await readFile(file, 'utf8'), file);
}

export function parseTemplate(kind: NoticeKind, content: string, source: string): NoticeTemplate {
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const newline = text.indexOf('\n');
  const first = newline < 0 ? text : text.slice(0, newline);
  const match = /^Subject:[ \t]*(.*\S)[ \t]*$/i.exec(first);
  if (!match) throw new TemplateError(`template ${source} must start with a "Subject: …" line`);
  const body = newline < 0 ? '' : text.slice(newline + 1).replace(/^\n/, '');
  if (!body.trim()) throw new TemplateError(`template ${source} has no body after its Subject line`);
  return { kind, subject: match[1], body, source };
}

/** The placeholder names a template uses (what a caller must give in `data`). */
export function placeholders(template: Pick<NoticeTemplate, 'subject' | 'body'>): string[] {
  const names = new Set<string>();
  for (const part of [template.subject, template.body]) for (const m of part.matchAll(PLACEHOLDER)) names.add(m[1]);
  return [...names];
}

/** Refuses data that looks like it carries a secret: notices are read by people and kept in mailboxes. */
export function assertNoSecrets(data: NoticeData): void {
  const bad = Object.keys(data).filter((k) => SECRET_KEY.test(k));
  if (bad.length) throw new TemplateError(`notice data must never carry secrets; refused field(s): ${bad.join(', ')}`);
}

export async function renderNotice(kind: NoticeKind, data: NoticeData, overrideDir?: string): Promise<RenderedNotice> {
  const template = await loadTemplate(kind, overrideDir ?? process.env[TEMPLATES_DIR_ENV]);
  return renderTemplate(template, data);
}

export function renderTemplate(template: NoticeTemplate, data: NoticeData): RenderedNotice {
  assertNoSecrets(data);
  const values: NoticeData = { ...data };
  // Derived values, so workflow code (which cannot import this module) passes spec fields as they are.
  if (values.gateMeaning === undefined && typeof values.gate === 'string' && GATE_MEANING[values.gate as GateName]) {
    values.gateMeaning = GATE_MEANING[values.gate as GateName];
  }
  // A gate that opens once per wave (cutover) is named with its wave.
  if (values.gateLabel === undefined && typeof values.gate === 'string') {
    values.gateLabel = `the "${values.gate}" gate${typeof values.wave === 'string' && values.wave ? ` of wave ${values.wave}` : ''}`;
  }
  if (values.imapSecurity === undefined && typeof values.imapTls === 'string' && IMAP_SECURITY_LABELS[values.imapTls]) {
    values.imapSecurity = IMAP_SECURITY_LABELS[values.imapTls];
  }
  const missing = placeholders(template).filter((name) => values[name] === undefined || values[name] === '');
  if (missing.length) {
    throw new TemplateError(`notice "${template.kind}" (${template.source}) needs a value for ${missing.map((n) => `{{${n}}}`).join(', ')}`);
  }
  const fill = (part: string, inSubject: boolean) =>
    part.replace(PLACEHOLDER, (_all, name: string, filter: string | undefined) => format(name, values[name], filter, inSubject));
  const subject = fill(template.subject, true)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  const text = fill(template.body, false).replace(/\n*$/, '\n');
  return { kind: template.kind, subject, text, source: template.source };
}

function format(name: string, value: NoticeValue, filter: string | undefined, inSubject: boolean): string {
  if (filter === 'datetime') {
    if (typeof value !== 'string') throw new TemplateError(`{{${name}|datetime}} needs an ISO date-time text`);
    return humanDateTime(value, name);
  }
  if (filter !== undefined) throw new TemplateError(`unknown template filter "${filter}" in {{${name}|${filter}}}`);
  if (Array.isArray(value)) {
    if (inSubject) return value.join(', ');
    return value.length ? value.map((item) => `  - ${item}`).join('\n') : '  (none)';
  }
  return String(value);
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * `2026-12-05T22:00:00+01:00` → `Saturday 5 December 2026 at 22:00 (UTC+01:00)`: the wall
 * time of the zone the operator wrote, not the worker's zone (workers may run anywhere).
 */
export function humanDateTime(iso: string, name = 'value'): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!m || Number.isNaN(Date.parse(iso))) {
    throw new TemplateError(`{{${name}|datetime}} needs an ISO date-time with its offset, e.g. 2026-12-05T22:00:00+01:00; got "${iso}"`);
  }
  const [, y, mo, d, h, mi, zone] = m;
  const weekday = WEEKDAYS[new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDay()];
  const offset = zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'UTC' : `UTC${zone}`;
  return `${weekday} ${Number(d)} ${MONTHS[Number(mo) - 1]} ${y} at ${h}:${mi} (${offset})`;
}
