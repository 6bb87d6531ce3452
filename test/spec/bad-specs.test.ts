// Bad input never starts a migration: a generated set of malformed specs, each refused
// with the field path of what is wrong (and never an echoed secret).
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { syncRequest } from '../../workflows/requests';
import { parseSpec, SpecError, type ListedSpecInput, type MigrationSpecInput } from '../../workflows/spec';

const now = new Date('2026-11-23T12:00:00Z');
const valid = (): ListedSpecInput => JSON.parse(JSON.stringify(demoSpec('classical', new Date('2026-12-05T21:00:00Z'))));
type Json = Record<string, unknown>;

/** Sets (or deletes, with undefined) the value at a dotted path like `mailboxes.0.source.user`. */
function mutate(path: string, value: unknown, base: MigrationSpecInput = valid()): unknown {
  const keys = path.split('.');
  let node = base as unknown as Json;
  for (const k of keys.slice(0, -1)) node = node[k] as Json;
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return base;
}

/** Every leaf path of the valid spec with its value. */
function leaves(node: unknown, prefix = ''): [string, unknown][] {
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, node]];
}

const display = (path: string) => path.replace(/\.(\d+)/g, '[$1]');
const cases: [string, unknown, string][] = []; // description, spec, expected field path in the message

// 1. A wrong type at every leaf.
for (const [path, value] of leaves(valid())) {
  const wrong = typeof value === 'number' ? 'seven' : typeof value === 'boolean' ? 'yes' : 42;
  cases.push([`${path}: wrong type`, mutate(path, wrong), display(path)]);
}
// 2. Every required field missing.
for (const path of [
  'name',
  'scenario',
  'host1',
  'host2',
  'host1.host',
  'host2.host',
  'mailboxes',
  'mailboxes.0.source',
  'mailboxes.0.destination',
  'mailboxes.0.source.user',
  'mailboxes.0.source.credential',
  'mailboxes.0.destination.user',
  'mailboxes.0.destination.credential',
  'dns',
  'dns.provider',
  'dns.zone',
  'dns.mx',
  'dns.mx.name',
  'dns.mx.host2',
  'dns.provider.server',
  'dns.provider.tsigKey',
  'schedule',
  'schedule.migrationAt',
  'approvals',
  'approvals.approvers',
  'notifications',
  'notifications.from',
  'notifications.smtp',
  'notifications.smtp.host',
]) {
  cases.push([`${path}: missing`, mutate(path, undefined), display(path)]);
}
// 3. An unknown field at every object level (typos must not be ignored).
for (const path of [
  '',
  'host1',
  'host2',
  'mailboxes.0',
  'mailboxes.0.source',
  'mailboxes.0.destination',
  'dns',
  'dns.provider',
  'dns.mx',
  'schedule',
  'approvals',
  'notifications',
  'notifications.smtp',
  'access',
  'mailFlow',
  'mailFlow.canary',
]) {
  cases.push([`${path || '(top)'}: unknown field`, mutate(path ? `${path}.colour` : 'colour', 'blue'), display(path ? `${path}.colour` : 'colour')]);
}
// 4. Bad host names and ports.
for (const [i, host] of ['', 'imap..example.com', '-imap.example.com', 'imap_example.com', 'a'.repeat(64) + '.com', 'imap example.com'].entries()) {
  cases.push([`host1.host bad #${i}`, mutate('host1.host', host), 'host1.host']);
}
for (const port of [0, -1, 65536, 1.5, '143']) {
  cases.push([`host2.port ${port}`, mutate('host2.port', port), 'host2.port']);
  cases.push([`dns.provider.port ${port}`, mutate('dns.provider.port', port), 'dns.provider.port']);
}
// 5. Credentials that are not references (or unknown schemes): refused, never echoed.
for (const cred of ['hunter2', 'vault:secret/alice', 'env:', 'env:1BAD', 'file:relative/path', 'ENV:HOST1', '']) {
  cases.push([`credential ${JSON.stringify(cred)}`, mutate('mailboxes.1.source.credential', cred), 'mailboxes[1].source.credential']);
}
cases.push(['tsig key given as a value', mutate('dns.provider.tsigKey', 'c2VjcmV0LXRzaWcta2V5'), 'dns.provider.tsigKey']);
// 6. Values out of range or of the wrong shape.
for (const [path, value] of [
  ['name', 'Has Spaces'],
  ['name', ''],
  ['scenario', 'optimistic'],
  ['host1.tls', 'ssl'],
  ['dns.lowTtl', 5],
  ['dns.lowTtl', 7200],
  ['dns.restoreTtl', 10],
  ['dns.mx.host2', []],
  ['dns.mx.host2', ['mail2.example.test.']],
  ['dns.provider.kind', 'route53'],
  ['schedule.migrationAt', '5 December, 10 pm'],
  ['schedule.migrationAt', '2026-12-05T21:00:00'],
  ['schedule.presyncEveryHours', 0],
  ['schedule.quietRoundsToFinish', 0],
  ['approvals.approvers', []],
  ['approvals.automaticGates', ['launch']],
  ['approvals.automaticGates', ['dns-conflict']],
  ['approvals.automaticGates', ['canary']],
  ['notifications.from', 'not-an-address'],
  ['mailboxes.0.contact', 'alice at home'],
  ['mailboxes', []],
  ['sync', { concurrency: 0 }],
  ['access', { method: 'telepathy' }],
  ['access', { method: 'command', path: 'relative/cut.sh' }],
] as const) {
  cases.push([`${path} = ${JSON.stringify(value)}`, mutate(path, value), display(path)]);
}
// 7. Contradictions.
cases.push(['migration hour in the past', mutate('schedule.migrationAt', '2026-11-01T09:00:00Z'), 'schedule.migrationAt']);
{
  const s = valid();
  s.mailboxes.push(JSON.parse(JSON.stringify(s.mailboxes[0])));
  cases.push(['duplicate mailbox', s, 'mailboxes[3].source.user']);
}
{
  const s = valid();
  s.mailboxes[2].source.user = 'ALICE';
  cases.push(['duplicate mailbox, other case', s, 'mailboxes[2].source.user']);
}
cases.push(['lowTtl not below restoreTtl', mutate('dns.restoreTtl', 300, mutate('dns.lowTtl', 600) as MigrationSpecInput), 'dns.lowTtl']);
cases.push(['MX name outside the zone', mutate('dns.mx.name', 'example.org.'), 'dns.mx.name']);
cases.push(['canary to a mailbox not migrated', mutate('mailFlow.canary.mailbox', 'mallory'), 'mailFlow.canary.mailbox']);
cases.push(['canary to an address whose MX is not switched', mutate('mailFlow.canary.address', 'alice@example.org'), 'mailFlow.canary.address']);
cases.push([
  'canary with PowerDNS and no resolver to ask',
  mutate('dns.provider', { kind: 'powerdns', apiUrl: 'http://127.0.0.1:8081', apiKey: 'env:PDNS_API_KEY' }),
  'dns.checkResolvers',
]);
{
  const lucky = JSON.parse(JSON.stringify(demoSpec('lucky', new Date('2026-12-05T21:00:00Z')))) as MigrationSpecInput;
  cases.push(['lucky without the IMAP host record', mutate('dns.imapHost', undefined, JSON.parse(JSON.stringify(lucky))), 'dns.imapHost']);
  cases.push(['lucky without sync addresses', mutate('host1.syncAddress', undefined, JSON.parse(JSON.stringify(lucky))), 'host1.syncAddress']);
  cases.push(['lucky with two host names', mutate('host2.host', 'imap2.example.test', JSON.parse(JSON.stringify(lucky))), 'host2.host']);
  const parkless = JSON.parse(JSON.stringify(lucky)) as MigrationSpecInput;
  parkless.access = { method: 'dns' };
  cases.push(['cut by DNS without a parking address', parkless, 'dns.imapHost.parkedAddresses']);
  const relativeKick = JSON.parse(JSON.stringify(lucky)) as MigrationSpecInput;
  relativeKick.access = { method: 'dns', doveadmConfig: 'dovecot.conf' };
  relativeKick.dns.imapHost!.parkedAddresses = ['192.0.2.99'];
  cases.push(['cut by DNS, kicking with a relative doveadm config', relativeKick, 'access.doveadmConfig']);
}
{
  const mxFirst = () => JSON.parse(JSON.stringify(demoSpec('mx-first', new Date('2026-12-05T21:00:00Z')))) as MigrationSpecInput;
  cases.push(['mx-first cutting access', mutate('access', { method: 'dovecot-deny-list', denyFile: '/srv/deny' }, mxFirst()), 'access.method']);
  const held = { provider: 'postfix', configDir: '/etc/postfix', host2Transport: 'lmtp:inet:10.0.0.2:24' };
  cases.push(['mx-first holding mail', mutate('mailFlow', { hold: held }, mxFirst()), 'mailFlow.hold']);
}
{
  const hold = { provider: 'postfix', configDir: '/etc/postfix', host2Transport: 'lmtp:inet:10.0.0.2:24' };
  cases.push(['mail hold with a relative config dir', mutate('mailFlow', { hold: { ...hold, configDir: 'postfix' } }), 'mailFlow.hold.configDir']);
  cases.push(['mail hold re-routing to no transport', mutate('mailFlow', { hold: { ...hold, host2Transport: '10.0.0.2' } }), 'mailFlow.hold.host2Transport']);
  cases.push(['mail hold for an unknown MTA', mutate('mailFlow', { hold: { ...hold, provider: 'exim' } }), 'mailFlow.hold.provider']);
  cases.push(['mail hold command with a relative path', mutate('mailFlow', { hold: { provider: 'command', path: 'mta-hold' } }), 'mailFlow.hold.path']);
  cases.push([
    'mail hold command with postfix fields',
    mutate('mailFlow', { hold: { provider: 'command', path: '/usr/local/bin/mta-hold', configDir: '/etc/postfix' } }),
    'mailFlow.hold.configDir',
  ]);
  cases.push(['mail hold endpoint that is no URL', mutate('mailFlow', { hold: { provider: 'http', url: 'mta.example.test/hold' } }), 'mailFlow.hold.url']);
  cases.push([
    'mail hold endpoint with a pasted token',
    mutate('mailFlow', { hold: { provider: 'http', url: 'https://mta.example.test/hold', token: 's3cret' } }),
    'mailFlow.hold.token',
  ]);
  cases.push(['mail hold on a worker queue that is no name', mutate('mailFlow', { hold: { ...hold, workerQueue: 'mx1 queue' } }), 'mailFlow.hold.workerQueue']);
  cases.push([
    'mail hold for a user that is no map key',
    mutate('mailboxes.1.source.user', 'bob smith', mutate('mailFlow', { hold }) as MigrationSpecInput),
    'mailboxes[1].source.user',
  ]);
  // Each look at the MTA's queue names every held address of the wave: past 2,000 they would fill the runbook's history.
  const crowd = Array.from({ length: 2_001 }, (_, i) => ({
    ...valid().mailboxes[1],
    source: { ...valid().mailboxes[1].source, user: `user${i}` },
    destination: { ...valid().mailboxes[1].destination, user: `user${i}` },
    wave: 'everyone',
  }));
  cases.push(['mail hold for a wave of 2,001 users', mutate('mailboxes', crowd, mutate('mailFlow', { hold }) as MigrationSpecInput), 'mailFlow.hold']);
}

// 8. OAuth2 logins: what each mechanism and grant needs.
const oauth2Login = (oauth2: Json, extra: Json = {}) => ({ user: 'alice@example.test', mechanism: 'oauth2', oauth2, ...extra });
const client = { issuer: 'https://login.example.test', clientId: 'mailshift', clientSecret: 'env:CLIENT_SECRET', grant: 'client_credentials' };
for (const [d, login, path] of [
  ['oauth2 without its settings', { user: 'alice', mechanism: 'oauth2' }, 'oauth2'],
  ['oauth2 with a credential too', oauth2Login(client, { credential: 'env:TOKEN' }), 'credential'],
  ['oauth2 with a master user', oauth2Login(client, { masterUser: 'admin' }), 'masterUser'],
  ['oauth2 settings for a password login', { user: 'alice', credential: 'env:PW', oauth2: client }, 'oauth2'],
  ['oauth2 with neither issuer nor token endpoint', oauth2Login({ ...client, issuer: undefined }), 'oauth2.issuer'],
  ['oauth2 with both issuer and token endpoint', oauth2Login({ ...client, tokenEndpoint: 'https://login.example.test/token' }), 'oauth2.tokenEndpoint'],
  ['oauth2 refresh_token grant without a refresh token', oauth2Login({ ...client, grant: 'refresh_token' }), 'oauth2.refreshToken'],
  ['oauth2 client_credentials with a refresh token', oauth2Login({ ...client, refreshToken: 'env:RT' }), 'oauth2.refreshToken'],
  ['oauth2 refresh token given as a value', oauth2Login({ ...client, grant: 'refresh_token', refreshToken: 'hunter2' }), 'oauth2.refreshToken'],
  ['oauth2 client secret given as a value', oauth2Login({ ...client, clientSecret: 'hunter2' }), 'oauth2.clientSecret'],
  ['oauth2 issuer over plain http elsewhere than loopback', oauth2Login({ ...client, issuer: 'http://login.example.test' }), 'oauth2.issuer'],
  ['oauth2 token endpoint that is no URL', oauth2Login({ ...client, issuer: undefined, tokenEndpoint: 'login.example.test/token' }), 'oauth2.tokenEndpoint'],
  ['oauth2 unknown grant', oauth2Login({ ...client, grant: 'password' }), 'oauth2.grant'],
] as const) {
  cases.push([d, mutate('mailboxes.1.destination', { ...(login as Json) }), `mailboxes[1].destination.${path}`]);
}

describe('malformed specs', () => {
  it('the valid spec they are derived from passes', () => {
    expect(parseSpec(valid(), now).name).toBe('sandbox-classical');
  });

  it('a lucky spec cutting access by DNS may name the doveadm config that closes open sessions', () => {
    const lucky = JSON.parse(JSON.stringify(demoSpec('lucky', new Date('2026-12-05T21:00:00Z')))) as MigrationSpecInput;
    lucky.access = { method: 'dns', doveadmConfig: '/etc/dovecot/dovecot.conf' };
    lucky.dns.imapHost!.parkedAddresses = ['192.0.2.99'];
    expect(parseSpec(lucky, now).access).toEqual({ method: 'dns', doveadmConfig: '/etc/dovecot/dovecot.conf' });
  });

  it('takes OAuth2 logins: either grant, by issuer or token endpoint, over https or to loopback', () => {
    const spec = valid();
    spec.mailboxes[0].destination = oauth2Login(client) as never;
    spec.mailboxes[1].source = oauth2Login({
      ...client,
      issuer: undefined,
      tokenEndpoint: 'http://127.0.0.1:8080/token',
      grant: 'refresh_token',
      refreshToken: 'file:/etc/mailshift/rt',
      scope: 'imap',
    }) as never;
    const parsed = parseSpec(spec, now);
    expect(parsed.mailboxes[0].destination).toMatchObject({ mechanism: 'oauth2', oauth2: client });
    expect(parsed.mailboxes[1].source.oauth2).toMatchObject({ grant: 'refresh_token', refreshToken: 'file:/etc/mailshift/rt' });
    // ...and the sync activity is asked with them.
    const req = syncRequest(parsed, parsed.mailboxes[0], 'presync', { deleteOnDestination: false, deleteOnSource: false });
    expect(req.destination.login).toMatchObject({ mechanism: 'oauth2', oauth2: client });
  });

  it('a migration hour without its zone says a UTC offset is needed, with examples', () => {
    expect(() => parseSpec(mutate('schedule.migrationAt', '2026-12-24T22:00:00'), now)).toThrow(
      /schedule\.migrationAt: needs a UTC offset, like 2026-12-24T22:00:00\+01:00 or 2026-12-24T21:00:00Z/,
    );
  });

  it('are at least 100 distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map(([d]) => d)).size).toBe(cases.length);
  });

  it.each(cases)('%s is refused, naming the field', (_d, spec, path) => {
    let error: unknown;
    try {
      parseSpec(spec, now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    const problems = (error as SpecError).problems;
    expect(problems.some((p) => p.startsWith(`${path}:`) || p.startsWith(`${path}.`) || p.startsWith(`${path}[`))).toBe(true);
    // A value pasted where a reference belongs is never repeated back.
    for (const secret of ['hunter2', 'c2VjcmV0LXRzaWcta2V5', 'vault:secret/alice']) expect((error as Error).message).not.toContain(secret);
  });
});
