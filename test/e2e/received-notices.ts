// The notices a migration really sent, as the SMTP receiver got them: per recipient, in
// the order they arrived, and the times they give back as numbers to compare.
import type { SmtpReceiver } from '../../scripts/servers/smtp';

export interface ReceivedNotice {
  subject: string;
  text: string;
}

/** What `address` received, in order (a users notice is one message to several, Bcc). */
export function noticesTo(smtp: SmtpReceiver, address: string): ReceivedNotice[] {
  return smtp.received
    .filter((m) => m.envelope.to.includes(address))
    .map((m) => ({ subject: m.parsed.subject ?? '', text: (m.parsed.text ?? '').replace(/\s+/g, ' ') }));
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `Saturday 5 December 2026 at 22:00 (UTC+01:00)` (templates' `|datetime`) back to epoch ms. */
export function spokenTime(words: string): number {
  const m = /(\d{1,2}) (\w+) (\d{4}) at (\d\d):(\d\d) \(UTC(?:([+-])(\d\d):(\d\d))?\)/.exec(words);
  if (!m) throw new Error(`no date and time in "${words}"`);
  const [, d, month, y, h, min, sign, oh, om] = m;
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  return Date.UTC(Number(y), MONTHS.indexOf(month), Number(d), Number(h), Number(min)) - offsetMin * 60_000;
}
