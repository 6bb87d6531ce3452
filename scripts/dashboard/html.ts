// HTML from untrusted text: everything a status holds (migration and mailbox names, error
// texts, approvers' comments) was typed by someone. The `html` template escapes every
// value it is given, unless that value is itself `html` (markup this code wrote).
export class Html {
  constructor(readonly text: string) {}
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** A value as markup: Html as is, lists joined, nothing for undefined, null and false, else escaped text. */
function markup(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(markup).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, s, i) => out + markup(values[i - 1]) + s));
}
