// The canary: one marked message for the domain, handed to its MX as DNS answers it now,
// the way any sending MTA would (MX hosts by preference, each address in turn; a host
// that cannot be reached or answers "try later" passes to the next). What happened is
// the result, not a failure: an MX that refuses the mail or cannot be reached is what
// the runbook must show an approver (workflows/canary.ts).
import { ApplicationFailure } from '@temporalio/common';
import nodemailer from 'nodemailer';
import { isIP } from 'node:net';
import { mxAsAnswered, type MxLookupInput } from './mx-lookup';

/** The header findCanary searches for: its value is the canary's token. */
export const CANARY_HEADER = 'X-Mailshift-Canary';

export interface SendCanaryInput {
  dns: Omit<MxLookupInput, 'domain'>;
  /** The mail domain whose MX gets the canary. */
  domain: string;
  smtpPort: number;
  from: string;
  to: string;
  /** Unique to this canary: findCanary looks for it. */
  token: string;
}

export interface CanaryDelivery {
  /** An MX took the message (250 after DATA). */
  accepted: boolean;
  /** The MX host and address it reached last: `mail2.example.test. (127.0.0.2:25)`. */
  via?: string;
  /** The server's answer, or why no MX took it. */
  detail: string;
}

const endpoint = (address: string, port: number) => (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`);

function message(input: SendCanaryInput) {
  const domain = input.from.split('@')[1];
  return {
    from: input.from,
    to: input.to,
    subject: 'Mail delivery check by mailshift: you may delete this message',
    text: `This message checks that mail for ${input.domain} now reaches the new mail server.\nIt was sent by the migration runbook; nothing needs to be done.\n\nCheck ${input.token}\n`,
    messageId: `<canary-${input.token}@${domain}>`,
    headers: { [CANARY_HEADER]: input.token, 'Auto-Submitted': 'auto-generated' },
  };
}

/** Sends the canary to the domain's MX; the result says which host took it, or why none did. */
export async function sendCanary(input: SendCanaryInput): Promise<CanaryDelivery> {
  let mx;
  try {
    mx = await mxAsAnswered({ ...input.dns, domain: input.domain });
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err; // a wrong spec or credential, not the mail flow
    return { accepted: false, detail: `DNS: ${(err as Error).message}` };
  }
  const tried: string[] = [];
  for (const { host, addresses } of mx.hosts) {
    if (!addresses.length) tried.push(`${host} has no address at ${mx.server}`);
    for (const address of addresses) {
      const via = `${host} (${endpoint(address, input.smtpPort)})`;
      const transport = nodemailer.createTransport({
        host: address,
        port: input.smtpPort,
        secure: false,
        // As MTAs do between themselves: STARTTLS when offered, any certificate.
        tls: { servername: host.replace(/\.$/, ''), rejectUnauthorized: false },
        connectionTimeout: 30_000,
        greetingTimeout: 30_000,
        socketTimeout: 60_000,
        logger: false,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      try {
        const info = await transport.sendMail(message(input));
        return { accepted: true, via, detail: info.response };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message?: string };
        // A permanent refusal: the mail bounces, whichever MX comes next.
        if (e.responseCode !== undefined && e.responseCode >= 500) return { accepted: false, via, detail: `refused: ${e.response ?? e.message}` };
        tried.push(`${via}: ${e.response ?? e.message}`);
      } finally {
        transport.close();
      }
    }
  }
  return { accepted: false, detail: `no MX of ${input.domain} took the canary: ${tried.join('; ')}` };
}
