// The mailbox list from an https URL (plain http only on loopback, as here): read like a
// file, refused past the size cap while it is read, pinned by its SHA-256 for the workers,
// its Authorization header by reference and in no problem. One run goes through real TLS.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { readMailboxList } from '../../activities/mailbox-list';
import { readMailboxes, readRoster } from '../../activities/mailbox-pages';
import { loadSpec } from '../../activities/spec';
import { PROJECT_ROOT } from '../../scripts/cli/schema';
import { selfSignedCert } from '../harness/self-signed';
import { now, problemsOf, specWith } from './listed-spec';

const CSV = 'EmailAddress,UserName,DestinationPassword,Wave\nalice@new.example.test,alice,env:A,pilot\nbob@new.example.test,bob,env:B,\n';
const TOKEN = 'Bearer list-t0ken-9Qz';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
/** What the server answers, by path; each test sets its own. */
const routes = new Map<string, Handler>();
const seen: IncomingMessage[] = [];
const serve: Handler = (req, res) => {
  seen.push(req);
  (routes.get(req.url ?? '') ?? ((_, r) => r.writeHead(404).end()))(req, res);
};
const servers: Server[] = [];
async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
let base: string;
beforeAll(async () => {
  base = `http://${await listen(createServer(serve))}`;
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.filter((s) => s.listening).map((s) => new Promise((r) => s.close(r))));
});

const text =
  (body: string, type = 'text/plain'): Handler =>
  (_, res) =>
    res.writeHead(200, { 'content-type': type }).end(body);
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => new Error('resolved'),
    (e: unknown) => e as ApplicationFailure,
  );

it('validates a CSV by http://127.0.0.1, and the workers read its mailboxes from there', async () => {
  routes.set('/batch.csv', text(CSV));
  const spec = await loadSpec(specWith(`${base}/batch.csv`), now);
  expect(spec.mailboxes.map((m) => [m.source.user, m.destination.user, m.wave])).toEqual([
    ['alice', 'alice@new.example.test', 'pilot'],
    ['bob', 'bob@new.example.test', 'main'],
  ]);
  const ref = { list: spec.mailboxList!, listed: spec.listed! };
  expect(await readRoster({ ...ref, offset: 0, limit: 10 })).toEqual({ users: ['alice', 'bob'], wave: [0, 1], waves: ['pilot', 'main'] });
  expect((await readMailboxes({ ...ref, users: ['bob'] }))[0].destination).toMatchObject({ user: 'bob@new.example.test', credential: 'env:B' });
  // No ending in the path: the Content-Type says the format, or the problem says what it lacks.
  routes.set('/list', text('{"source":{"user":"carol"},"destination":{"user":"carol","credential":"env:C"}}\n', 'application/x-ndjson'));
  expect((await loadSpec(specWith(`${base}/list`), now)).mailboxes.map((m) => m.source.user)).toEqual(['carol']);
  routes.set('/plain', text(CSV));
  expect(await problemsOf(specWith(`${base}/plain`))).toEqual([
    'mailboxList.format: give csv or jsonl: the URL path ends in neither .csv nor .jsonl and its Content-Type (text/plain) is neither text/csv nor application/jsonl',
  ]);
  expect((await loadSpec(specWith(`${base}/plain`, { format: 'csv' }), now)).mailboxes).toHaveLength(2);
});

it('refuses a list changed on the server since validation, until it is back', async () => {
  routes.set('/changing.csv', text(CSV));
  const spec = await loadSpec(specWith(`${base}/changing.csv`), now);
  const ref = { list: spec.mailboxList!, listed: spec.listed!, offset: 0, limit: 10 };
  routes.set('/changing.csv', text(CSV.replace('bob,env:B', 'eve,env:B')));
  const err = await failureOf(readRoster(ref));
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'MailboxListChanged', nonRetryable: false });
  expect(err.message).toContain(`its SHA-256 is `);
  routes.set('/changing.csv', (_, res) => res.writeHead(503).end());
  expect((await failureOf(readRoster(ref))).message).toContain('mailboxList.from: the server answered HTTP 503 Service Unavailable');
  routes.set('/changing.csv', text(CSV));
  expect((await readRoster(ref)).users).toEqual(['alice', 'bob']);
});

it('names the field and the HTTP status, or the cause of a failed connection', async () => {
  expect(await problemsOf(specWith(`${base}/absent.csv`))).toEqual(['mailboxList.from: the server answered HTTP 404 Not Found']);
  const closed = createServer();
  const addr = await listen(closed);
  await new Promise((r) => closed.close(r));
  expect(await problemsOf(specWith(`http://${addr}/batch.csv`))).toEqual([`mailboxList.from: cannot fetch it: connect ECONNREFUSED ${addr}`]);
  routes.set('/silent.csv', () => undefined);
  expect((await readMailboxList({ from: `${base}/silent.csv` }, { timeoutMs: 300 })).problems).toEqual(['mailboxList.from: no complete answer within 0.3 s']);
});

it('refuses a list past the size cap while reading it, not after', async () => {
  const total = 64 * 1024 * 1024;
  let sent = 0;
  routes.set('/endless.csv', (_, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const more = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  const read = await readMailboxList({ from: `${base}/endless.csv` }, { maxBytes: 1024 * 1024 });
  expect(read.problems).toEqual(['mailboxList.from: stopped reading past 1 MiB: a mailbox list may be at most 1 MiB']);
  // What the socket buffers held is all the server got out before the client hung up.
  await new Promise((r) => setTimeout(r, 100));
  expect(sent).toBeLessThan(total / 4);
  routes.set('/announced.csv', (_, res) => res.writeHead(200, { 'content-length': String(total) }).write('EmailAddress'));
  expect((await readMailboxList({ from: `${base}/announced.csv` }, { maxBytes: 1024 * 1024 })).problems).toEqual([
    'mailboxList.from: the server announces 68 MB; a mailbox list may be at most 1 MiB',
  ]);
});

it('refuses a URL with a user or password in it, without repeating them, and plain http off this machine', async () => {
  const problems = await problemsOf(specWith('https://alice:S3cr3t-pw@lists.example.test/batch.csv'));
  expect(problems).toEqual([
    'mailboxList.from: must not hold a user name or password: give the Authorization header as mailboxList.authorization, by reference',
  ]);
  expect(problems.join()).not.toContain('S3cr3t-pw');
  expect(await problemsOf(specWith('http://lists.example.test/batch.csv'))).toEqual([
    'mailboxList.from: must be an https:// URL (http:// only to 127.0.0.1 or localhost)',
  ]);
  expect(await problemsOf(specWith('file:/srv/batch.csv', { authorization: 'env:LIST_TOKEN' }))).toEqual([
    'mailboxList.authorization: is only sent with a list fetched by URL',
  ]);
});

it('sends the Authorization header it references, and never shows its value', async () => {
  process.env.LIST_TOKEN = TOKEN;
  routes.set('/private.csv', (req, res) => (req.headers.authorization === TOKEN ? text(CSV)(req, res) : res.writeHead(401).end()));
  const spec = await loadSpec(specWith(`${base}/private.csv`, { authorization: 'env:LIST_TOKEN' }), now);
  expect(spec.mailboxes).toHaveLength(2);
  expect(seen.at(-1)!.headers.authorization).toBe(TOKEN);
  expect(await problemsOf(specWith(`${base}/private.csv`))).toEqual(['mailboxList.from: the server answered HTTP 401 Unauthorized']);
  // Redirected to another server (a storage bucket), the list goes on without the header.
  const elsewhere = `http://${await listen(createServer(serve))}`;
  routes.set('/public.csv', text(CSV));
  routes.set('/moved.csv', (_, res) => res.writeHead(302, { location: `${elsewhere}/public.csv` }).end());
  expect((await loadSpec(specWith(`${base}/moved.csv`, { authorization: 'env:LIST_TOKEN' }), now)).mailboxes).toHaveLength(2);
  expect(seen.slice(-2).map((r) => [r.url, r.headers.authorization])).toEqual([
    ['/moved.csv', TOKEN],
    ['/public.csv', undefined],
  ]);

  const problems = [
    ...(await problemsOf(specWith(`${base}/absent.csv`, { authorization: 'env:LIST_TOKEN' }))),
    ...(await problemsOf(specWith(`${base}/private.csv`, { authorization: 'env:NO_SUCH_TOKEN' }))),
  ];
  routes.set('/private.csv', (req) => req.socket.destroy());
  problems.push(...(await problemsOf(specWith(`${base}/private.csv`, { authorization: 'env:LIST_TOKEN' }))));
  process.env.LIST_TOKEN = `${TOKEN}\r\nX-Injected: 1`;
  problems.push(...(await problemsOf(specWith(`${base}/private.csv`, { authorization: 'env:LIST_TOKEN' }))));
  expect(problems).toEqual([
    'mailboxList.from: the server answered HTTP 404 Not Found',
    'mailboxList.authorization: environment variable NO_SUCH_TOKEN is not set on this worker',
    expect.stringMatching(/^mailboxList\.from: cannot fetch it: /),
    'mailboxList.authorization: the secret it names is not a header value (it holds a line break)',
  ]);
  expect(problems.join('\n')).not.toContain('list-t0ken');
  delete process.env.LIST_TOKEN;
});

/** `mailshift validate` in a process of its own (NODE_EXTRA_CA_CERTS is read at start). */
function validate(specFile: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(path.join(PROJECT_ROOT, 'bin/mailshift'), ['validate', specFile], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, out: stdout + stderr }),
    ),
  );
}

it('fetches over real TLS: trusts the certificate only when the worker is told to', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'list-tls-'));
  const { key, cert, certFile } = selfSignedCert(dir);
  routes.set('/tls/batch.csv', text(CSV));
  const addr = await listen(createHttpsServer({ key, cert }, serve));
  const specFile = path.join(dir, 'spec.json');
  const inAWeek = new Date(Date.now() + 7 * 86_400_000);
  writeFileSync(specFile, JSON.stringify(specWith(`https://localhost:${addr.split(':')[1]}/tls/batch.csv`, {}, inAWeek)));
  const [trusted, untrusted] = await Promise.all([validate(specFile, { NODE_EXTRA_CA_CERTS: certFile }), validate(specFile, { NODE_EXTRA_CA_CERTS: '' })]);
  expect(trusted).toMatchObject({ code: 0, out: expect.stringMatching(/2 mailbox\(es\) in 2 wave\(s\) \(pilot, main\)/) });
  expect(untrusted.code).toBe(2);
  expect(untrusted.out).toContain('mailboxList.from: cannot fetch it: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
});
