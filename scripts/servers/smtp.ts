// A real SMTP receiver on a loopback port (npm smtp-server): keeps every message it
// receives, parsed, and when given a folder also writes each one there as a .eml file
// an operator can open.
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  received: ReceivedMail[];
  /** Resolves once at least `count` messages have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpReceiver(options: { port?: number; saveDir?: string } = {}): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  if (options.saveDir) mkdirSync(options.saveDir, { recursive: true });

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const mailFrom = session.envelope.mailFrom;
            received.push({
              envelope: {
                from: mailFrom ? mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              raw,
              parsed,
            });
            if (options.saveDir) {
              const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${received.length}.eml`;
              writeFileSync(path.join(options.saveDir, name), raw);
            }
            waiters.splice(0).forEach((w) => w());
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    host: '127.0.0.1',
    port,
    received,
    async waitForCount(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, received ${received.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
