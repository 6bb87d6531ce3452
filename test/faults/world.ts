// Shared pieces of the fault tests: two real Dovecot servers with the demo users (host1
// with an admin master user, as the demo spec logs in), passwords in files, a demo spec
// pointed at them, a bandwidth-limited TCP proxy (so a copy lasts long enough to be hit
// in its middle), a bulk mailbox seeded through plain IMAP APPEND, and exact comparisons
// of two mailboxes.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec, type DemoServers } from '../../scripts/sandbox/demo-spec';
import { startDovecot, stopHard, type DovecotServer, type MailUser } from '../../scripts/servers/dovecot';
import { parseSpec, type MigrationSpec, type MigrationSpecInput } from '../../workflows/spec';
import { connect, makeMessage, readMailbox, serverPathOf, type StoredMessage } from '../imap/corpus';

export interface MailWorld {
  dir: string;
  host1: DovecotServer;
  host2: DovecotServer;
  /** host1-<user>, host2-<user>, host1-admin. */
  passwords: Record<string, string>;
  secretsDir: string;
  users: MailUser[];
  /** `user`'s mailbox on host1 against host2 (see compareMailboxes). */
  compare(user: string): Promise<Comparison>;
  /** Restarts host2 (or host1) in the same directory on the same port. */
  restart(side: 'host1' | 'host2'): Promise<DovecotServer>;
  /** The demo spec against these servers (DNS and SMTP point at ports nobody listens on unless given). */
  spec(overrides?: Partial<DemoServers>): MigrationSpec;
  /** The demo spec as an operator writes it (the migration workflows' input). */
  specInput(migrationAt: Date, overrides?: Partial<DemoServers>): MigrationSpecInput;
  stop(): Promise<void>;
}

export async function startMailWorld(): Promise<MailWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-faults-'));
  chmodSync(dir, 0o755);
  const secretsDir = path.join(dir, 'secrets');
  mkdirSync(secretsDir, { mode: 0o700 });
  const passwords: Record<string, string> = { 'host1-admin': `adm-${randomBytes(6).toString('hex')}` };
  for (const u of demoUsers) {
    passwords[`host1-${u}`] = `h1-${u}-${randomBytes(6).toString('hex')}`;
    passwords[`host2-${u}`] = `h2-${u}-${randomBytes(6).toString('hex')}`;
  }
  for (const [name, value] of Object.entries(passwords)) writeFileSync(path.join(secretsDir, name), `${value}\n`, { mode: 0o600 });
  const users = (side: string): MailUser[] => demoUsers.map((user) => ({ user, password: passwords[`${side}-${user}`] }));
  const masters = [{ user: 'admin', password: passwords['host1-admin'] }];
  const options = {
    host1: { name: 'host1', dir: path.join(dir, 'host1'), layout: 'inbox-prefix-dot' as const, users: users('host1'), masters },
    host2: { name: 'host2', dir: path.join(dir, 'host2'), layout: 'slash-no-prefix' as const, users: users('host2') },
  };
  const servers: Record<'host1' | 'host2', DovecotServer> = {
    host1: await startDovecot(options.host1),
    host2: await startDovecot(options.host2),
  };
  const world: MailWorld = {
    dir,
    get host1() {
      return servers.host1;
    },
    get host2() {
      return servers.host2;
    },
    passwords,
    secretsDir,
    users: users('host1'),
    compare: (user) =>
      compareMailboxes(
        { server: servers.host1, user, password: passwords[`host1-${user}`] },
        { server: servers.host2, user, password: passwords[`host2-${user}`] },
      ),
    async restart(side) {
      servers[side] = await startDovecot({ ...options[side], port: servers[side].port });
      return servers[side];
    },
    spec(overrides = {}) {
      return parseSpec(world.specInput(new Date(Date.now() + 30 * 86_400_000), overrides), new Date());
    },
    specInput(migrationAt, overrides = {}) {
      const s: DemoServers = {
        host1Port: servers.host1.port,
        host2Port: servers.host2.port,
        host1Dir: servers.host1.dir,
        dnsPort: 9,
        tsigKeyFile: path.join(secretsDir, 'no-tsig.key'),
        smtpPort: 9,
        secretsDir,
        ...overrides,
      };
      return demoSpec('classical', migrationAt, s);
    },
    async stop() {
      await Promise.allSettled([stopHard(servers.host1), stopHard(servers.host2)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

// ---- a bandwidth-limited proxy ---------------------------------------------------------

export interface Throttle {
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free loopback port to `target`, passing at most `bytesPerSecond` in
 * each direction of each connection: a copy of a few megabytes then lasts seconds, long
 * enough to kill something in its middle.
 */
export async function startThrottle(targetPort: number, bytesPerSecond: number): Promise<Throttle> {
  const sockets = new Set<Socket>();
  const pace = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      to.write(chunk);
      from.pause();
      setTimeout(() => from.resume(), Math.ceil((chunk.length / bytesPerSecond) * 1000));
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => to.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pace(client, upstream);
    pace(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---- seeding and comparing -------------------------------------------------------------

/** A deterministic base64 blob of about `bytes` bytes, in 76-character lines. */
function blob(seed: number, bytes: number): string {
  const parts: Buffer[] = [];
  let h = createHash('sha256').update(String(seed)).digest();
  for (let n = 0; n < (bytes * 3) / 4; n += h.length) {
    h = createHash('sha256').update(h).digest();
    parts.push(h);
  }
  return (
    Buffer.concat(parts)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n');
}

export interface BulkOptions {
  folder: string;
  count: number;
  /** Every `largeEvery`-th message is about `largeBytes` (default ~1.5 MB). */
  largeEvery?: number;
  largeBytes?: number;
  /** Distinguishes the Message-IDs of several seeded batches. */
  tag?: string;
}

/** Seeds `count` distinct messages (Message-ID, flags, internal date all varied) with imapflow's APPEND. */
export async function seedBulk(server: DovecotServer, user: string, password: string, o: BulkOptions): Promise<void> {
  const flagSets = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '\\Seen'], ['$Label1'], ['\\Seen', 'Project-X']];
  const client = await connect(server, user, password);
  try {
    const box = serverPathOf(server, o.folder);
    if (box !== 'INBOX') await client.mailboxCreate(box).catch(() => undefined);
    for (let i = 0; i < o.count; i++) {
      const date = new Date(Date.UTC(2019, 0, 1) + i * 3_600_000 * 7);
      const large = o.largeEvery && i % o.largeEvery === o.largeEvery - 1;
      const raw = makeMessage({
        messageId: `<${o.tag ?? 'bulk'}-${user}-${i}@example.net>`,
        subject: `${large ? 'Scan' : 'Note'} ${i} for ${user}`,
        date,
        body: large ? blob(i, o.largeBytes ?? 1_500_000) : `Message ${i}.\n${'All work and no play. '.repeat(5 + (i % 60))}`,
      });
      const res = await client.append(box, raw, flagSets[i % flagSets.length], date);
      if (!res) throw new Error(`seeding message ${i} into ${box} failed`);
    }
  } finally {
    await client.logout();
  }
}

/** How many messages a folder holds now (0 when it does not exist yet). */
export async function countMessages(server: DovecotServer, user: string, password: string, folder: string): Promise<number> {
  const client = await connect(server, user, password);
  try {
    const s = await client.status(serverPathOf(server, folder), { messages: true });
    return s ? (s.messages ?? 0) : 0;
  } catch {
    return 0;
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** A message as it must survive a migration: folder, Message-ID, size, bytes, flags, internal date. */
export function identity(m: StoredMessage): string {
  const id = /^message-id:\s*(.+)$/im.exec(m.source.subarray(0, 8192).toString('latin1'))?.[1]?.trim() ?? '(none)';
  return `${m.folder} ${id} size=${m.size} sha256=${m.sha256.slice(0, 16)} [${m.flags.join(' ')}] ${new Date(m.internalDate).toISOString()}`;
}

export interface Comparison {
  source: number;
  destination: number;
  /** On host1, not on host2 (with multiplicity). */
  missing: string[];
  /** On host2 more often than on host1. */
  extra: string[];
}

/** Compares two mailboxes as multisets of identities. */
export async function compareMailboxes(
  a: { server: DovecotServer; user: string; password: string },
  b: { server: DovecotServer; user: string; password: string },
): Promise<Comparison> {
  const [src, dst] = await Promise.all([readMailbox(a.server, a.user, a.password), readMailbox(b.server, b.user, b.password)]);
  const count = (ms: StoredMessage[]) => {
    const m = new Map<string, number>();
    for (const x of ms) m.set(identity(x), (m.get(identity(x)) ?? 0) + 1);
    return m;
  };
  const s = count(src);
  const d = count(dst);
  const diff = (x: Map<string, number>, y: Map<string, number>) =>
    [...x].flatMap(([k, n]) => Array.from({ length: Math.max(0, n - (y.get(k) ?? 0)) }, () => k));
  return { source: src.length, destination: dst.length, missing: diff(s, d), extra: diff(d, s) };
}

/** An activity attempt's start as the history records it: attempt, server time (epoch ms), worker. */
export interface ActivityStart {
  attempt: number;
  at: number;
  identity: string;
}

/** Every activity task started in a history, in order (the last attempt of each activity). */
export function activityStarts(history: {
  events?:
    | {
        eventTime?: { seconds?: unknown; nanos?: number | null } | null;
        activityTaskStartedEventAttributes?: { attempt?: number | null; identity?: string | null } | null;
      }[]
    | null;
}): ActivityStart[] {
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskStartedEventAttributes;
    if (!a) return [];
    const at = e.eventTime ? Number(e.eventTime.seconds ?? 0) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : NaN;
    return [{ attempt: a.attempt ?? 0, at, identity: a.identity ?? '' }];
  });
}

/** The attempt number of every activity task started in a history, in order. */
export function activityAttempts(history: { events?: { activityTaskStartedEventAttributes?: { attempt?: number | null } | null }[] | null }): number[] {
  return (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 0] : []));
}
