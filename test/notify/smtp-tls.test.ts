// SMTP relays as they are in production: STARTTLS required before AUTH, implicit TLS,
// self-signed certificates (refused unless the spec says to trust them), and a password
// by reference that never shows in an error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { ApplicationFailure } from '@temporalio/common';
import { sendNotice } from '../../activities/notify/send-notice';
import type { SmtpSettingsInput } from '../../activities/notify/schema';
import { selfSignedCert } from '../harness/self-signed';

const PASSWORD = 'relay-pa55-Xy9!';

interface Relay {
  port: number;
  mails: { parsed: ParsedMail; secure: boolean; user?: string; to: string[] }[];
  close(): Promise<void>;
}

let dir: string;
let key: Buffer;
let cert: Buffer;
const relays: Relay[] = [];

async function startRelay(options: Partial<SMTPServerOptions>): Promise<Relay> {
  const mails: Relay['mails'] = [];
  const server = new SMTPServer({
    key,
    cert,
    disableReverseLookup: true,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'notices@example.org' && auth.password === PASSWORD) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({ parsed, secure: session.secure, user: session.user as string | undefined, to: session.envelope.rcptTo.map((r) => r.address) });
          cb();
        })
        .catch(cb);
    },
    ...options,
  });
  // A client refusing the certificate drops the connection mid-handshake: expected here.
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relay = { port: (server.server.address() as AddressInfo).port, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
  relays.push(relay);
  return relay;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-smtp-tls-'));
  ({ key, cert } = selfSignedCert(dir));
  writeFileSync(path.join(dir, 'relay-password'), `${PASSWORD}\n`);
  writeFileSync(path.join(dir, 'wrong-password'), 'not-the-password-123\n');
});
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function notice(smtp: SmtpSettingsInput) {
  return sendNotice({
    notice: 'users-done',
    to: ['alice@example.org'],
    data: { helpContact: 'the IT desk' },
    from: 'notices@example.org',
    smtp,
    idempotencyKey: `tls-test/${++n}`,
  });
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ApplicationFailure,
  );

describe('STARTTLS relay that requires authentication', () => {
  let relay: Relay;
  beforeAll(async () => {
    // smtp-server refuses AUTH before STARTTLS (allowInsecureAuth is false by default).
    relay = await startRelay({ secure: false, authOptional: false });
  });
  const base = () => ({
    host: '127.0.0.1',
    port: relay.port,
    tls: 'starttls' as const,
    user: 'notices@example.org',
    credential: `file:${path.join(dir, 'relay-password')}`,
  });

  it('refuses a self-signed certificate by default, and delivers nothing', async () => {
    const err = await failure(notice(base()));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'SmtpCertificateRefused', nonRetryable: true });
    expect(err!.message).toMatch(/self-signed certificate/);
    expect(err!.message).toMatch(/verifyCertificate to false/);
    expect(relay.mails).toHaveLength(0);
  });

  it('with verifyCertificate: false, upgrades to TLS, logs in with the credential reference and delivers', async () => {
    const result = await notice({ ...base(), verifyCertificate: false });
    expect(result.email).toBe('sent');
    expect(relay.mails).toHaveLength(1);
    expect(relay.mails[0]).toMatchObject({ secure: true, user: 'notices@example.org', to: ['alice@example.org'] });
    expect(relay.mails[0].parsed.subject).toBe('Your email move is complete');
  });

  it('a wrong password fails for good, and the error shows neither password', async () => {
    const err = await failure(notice({ ...base(), verifyCertificate: false, credential: `file:${path.join(dir, 'wrong-password')}` }));
    expect(err).toMatchObject({ type: 'SmtpAuthFailed', nonRetryable: true });
    expect(err!.message).toMatch(/refused the login of "notices@example.org"/);
    expect(JSON.stringify({ m: err!.message, s: err!.stack })).not.toMatch(/not-the-password-123|relay-pa55/);
    expect(relay.mails).toHaveLength(1);
  });

  it('a relay that wants a login gets none without a credential: refused, nothing sent', async () => {
    const err = await failure(notice({ host: '127.0.0.1', port: relay.port, tls: 'starttls', verifyCertificate: false }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err!.message).toMatch(/530|Authentication required/i);
    expect(relay.mails).toHaveLength(1);
  });

  it('an unset credential variable is named, not guessed', async () => {
    delete process.env.MAILSHIFT_TEST_UNSET_SMTP_PASSWORD;
    const err = await failure(notice({ ...base(), verifyCertificate: false, credential: 'env:MAILSHIFT_TEST_UNSET_SMTP_PASSWORD' }));
    expect(err).toMatchObject({ type: 'CredentialUnavailable', nonRetryable: true });
    expect(err!.message).toContain('MAILSHIFT_TEST_UNSET_SMTP_PASSWORD');
  });
});

describe('implicit TLS relay (port 465 style)', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ secure: true, authOptional: true });
  });

  it('refuses the self-signed certificate by default, accepts it only when told to', async () => {
    const refused = await failure(notice({ host: '127.0.0.1', port: relay.port, tls: 'implicit' }));
    expect(refused).toMatchObject({ type: 'SmtpCertificateRefused', nonRetryable: true });
    expect(relay.mails).toHaveLength(0);
    await notice({ host: '127.0.0.1', port: relay.port, tls: 'implicit', verifyCertificate: false });
    expect(relay.mails).toHaveLength(1);
    expect(relay.mails[0].secure).toBe(true);
  });
});

describe('a relay without STARTTLS', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ secure: false, authOptional: true, disabledCommands: ['STARTTLS'] });
  });

  it('with tls "starttls", nothing is sent in clear text', async () => {
    const err = await failure(notice({ host: '127.0.0.1', port: relay.port, tls: 'starttls', verifyCertificate: false }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err!.message).toMatch(/STARTTLS/i);
    expect(relay.mails).toHaveLength(0);
  });

  it('with tls "none" (loopback relays only), it is sent as asked', async () => {
    await notice({ host: '127.0.0.1', port: relay.port, tls: 'none' });
    expect(relay.mails).toHaveLength(1);
    expect(relay.mails[0].secure).toBe(false);
  });
});
