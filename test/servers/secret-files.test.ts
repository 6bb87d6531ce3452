// No file of the test servers that holds a secret (a password, a TSIG key, an API key) is
// readable by anyone but its owner, and their directories cannot be listed by others:
// started as the sandbox starts them (host1 with its admin, host2, Knot side by side in
// one directory), again over files an older version left readable, and BIND and
// PowerDNS as the DNS tests start them. The servers still serve with their files private.
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBind } from '../../scripts/servers/bind';
import { startDovecot } from '../../scripts/servers/dovecot';
import { startKnot } from '../../scripts/servers/knot';
import { startPowerDns } from '../../scripts/servers/powerdns';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { canLogIn } from '../e2e/real-world';
import { demoZoneRecords } from '../../scripts/sandbox/layout';

const password = () => randomBytes(12).toString('base64url');

// As `npm start` lays out .sandbox/: a directory others may enter, a server in each subdirectory.
const root = mkdtempSync(path.join(tmpdir(), 'mailshift-secrets-'));
chmodSync(root, 0o755);
const dirOf = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const users = { host1: demoUsers.map((user) => ({ user, password: password() })), host2: demoUsers.map((user) => ({ user, password: password() })) };
const admin = { user: 'admin', password: password() };
const startHost = (side: 'host1' | 'host2') =>
  startDovecot({
    name: `secrets-${side}`,
    dir: dirOf(side),
    layout: side === 'host1' ? 'inbox-prefix-dot' : 'slash-no-prefix',
    users: users[side],
    masters: side === 'host1' ? [admin] : [],
  });

/**
 * The files under the servers' directories that hold one of `secrets` (or are key files,
 * as BIND's own session key), as `side/name` with their mode in octal.
 */
function secretFiles(servers: string[], secrets: string[]): Record<string, string> {
  const held: Record<string, string> = {};
  for (const server of servers) {
    for (const name of readdirSync(dirOf(server), { recursive: true, encoding: 'utf8' })) {
      const file = path.join(dirOf(server), name);
      if (!lstatSync(file).isFile()) continue;
      const text = readFileSync(file).toString('latin1');
      if (file.endsWith('.key') || secrets.some((s) => text.includes(s))) held[`${server}/${name}`] = (statSync(file).mode & 0o777).toString(8);
    }
  }
  return held;
}

const openToOthers = (mode: string) => (parseInt(mode, 8) & 0o077) !== 0;

it('keeps every secret of the sandbox servers to their owner, also over files left readable before', async () => {
  let host1 = await startHost('host1');
  const host2 = await startHost('host2');
  let knot = await startKnot({ dir: dirOf('dns'), zone: 'example.test', records: demoZoneRecords });
  const servers = ['host1', 'host2', 'dns'];
  const secrets = () => [...users.host1, ...users.host2, admin].map((u) => u.password).concat(knot.key.secret);
  try {
    const held = secretFiles(servers, secrets());
    expect(Object.keys(held).sort()).toEqual(['dns/knot.conf', 'dns/tsig.key', 'host1/masters', 'host1/users', 'host2/users']);
    expect(Object.entries(held).filter(([, mode]) => openToOthers(mode))).toEqual([]);
    // The Dovecot processes that read the passwd files still do.
    expect(await canLogIn(host1, `alice*${admin.user}`, admin.password)).toBe(true);
    expect(await canLogIn(host2, 'bob', users.host2[1].password)).toBe(true);

    // An older version left these readable; a restart in the same directories closes them.
    await host1.stop();
    await knot.stop();
    const restarted = ['host1', 'dns'];
    for (const file of Object.keys(held).filter((f) => restarted.includes(f.split('/')[0]))) chmodSync(path.join(root, file), 0o644);
    for (const dir of restarted) chmodSync(dirOf(dir), 0o755);
    host1 = await startHost('host1');
    knot = await startKnot({ dir: dirOf('dns'), zone: 'example.test', records: demoZoneRecords });
    expect(Object.entries(secretFiles(servers, secrets())).filter(([, mode]) => openToOthers(mode))).toEqual([]);
    expect(await canLogIn(host1, 'carol', users.host1[2].password)).toBe(true);

    // Others may enter a Dovecot directory (its login and mail processes run as other users), never list it.
    for (const dir of servers) expect([dir, (statSync(dirOf(dir)).mode & 0o044).toString(8)]).toEqual([dir, '0']);
  } finally {
    await host1.stop();
    await host2.stop();
    await knot.stop();
  }
});

it('keeps the keys of BIND and PowerDNS to their owner', async () => {
  const bind = await startBind({ dir: dirOf('bind'), zone: 'example.test', records: demoZoneRecords });
  const pdns = await startPowerDns({ dir: dirOf('pdns'), zone: 'example.test', records: demoZoneRecords });
  try {
    const held = secretFiles(['bind', 'pdns'], [bind.key.secret, pdns.key.secret, pdns.apiKey]);
    expect(Object.keys(held)).toEqual(expect.arrayContaining(['bind/named.conf', 'bind/tsig.key', 'pdns/api.key', 'pdns/pdns.conf', 'pdns/tsig.key']));
    // PowerDNS keeps its TSIG keys in its database (in the write-ahead log until a checkpoint).
    expect(Object.keys(held).filter((f) => f.startsWith('pdns/pdns.sqlite3'))).not.toEqual([]);
    expect(Object.entries(held).filter(([, mode]) => openToOthers(mode))).toEqual([]);
    for (const dir of ['bind', 'pdns']) expect([dir, (statSync(dirOf(dir)).mode & 0o044).toString(8)]).toEqual([dir, '0']);
  } finally {
    await bind.stop();
    await pdns.stop();
  }
});
