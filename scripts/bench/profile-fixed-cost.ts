// The fixed cost per mailbox (bench:sync, after the corpus): at 100,000 mailboxes what a
// worker spends on each unchanged one dominates. Small mailboxes (scale-maildir.ts) are
// synced once, then each is re-synced with its state by the activity function itself,
// syncMailbox, one after the other as a worker slot runs them: login, list and status on
// both sides, logout. The floor beside it: logging in and out of both servers.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { syncMailbox } from '../../activities/imap/sync-mailbox';
import type { ImapAccount, SyncRequest, SyncState } from '../../activities/imap/types';
import { connectImap, startDovecot, type DovecotServer } from '../servers/dovecot';
import { f1, quantile } from './measure';
import { judge, type Report } from './report';
import { seedMailbox } from './scale-maildir';

export interface FixedCostSetup {
  dir: string;
  mailboxes: number;
  report: Report;
  log: (line: string) => void;
}

export async function fixedCostProfile(s: FixedCostSetup): Promise<void> {
  const users = Array.from({ length: s.mailboxes }, (_, i) => ({
    user: `small${i}`,
    host1: randomBytes(9).toString('hex'),
    host2: randomBytes(9).toString('hex'),
  }));
  const servers: DovecotServer[] = [];
  try {
    const host1 = await startDovecot({
      name: 'small1',
      dir: path.join(s.dir, 'small1'),
      layout: 'inbox-prefix-dot',
      users: users.map((u) => ({ user: u.user, password: u.host1 })),
    });
    servers.push(host1);
    const host2 = await startDovecot({
      name: 'small2',
      dir: path.join(s.dir, 'small2'),
      layout: 'slash-no-prefix',
      users: users.map((u) => ({ user: u.user, password: u.host2 })),
    });
    servers.push(host2);
    users.forEach((u, index) => seedMailbox({ serverDir: host1.dir, user: u.user, index }));
    const account = (server: DovecotServer, user: string, password: string): ImapAccount => {
      const file = path.join(s.dir, `pw-${server.name}-${user}`);
      writeFileSync(file, password, { mode: 0o600 });
      return { endpoint: { host: server.host, port: server.port, tls: 'none' }, login: { user, credential: `file:${file}` } };
    };
    const requests: SyncRequest[] = users.map((u) => ({
      mailbox: u.user,
      source: account(host1, u.user, u.host1),
      destination: account(host2, u.user, u.host2),
      deleteOnDestination: false,
      deleteOnSource: false,
    }));
    s.log(`small mailboxes: first sync of ${users.length} …`);
    const states: SyncState[] = [];
    for (const req of requests) states.push((await syncMailbox(req)).state);

    s.log('small mailboxes: unchanged re-syncs …');
    const ms: number[] = [];
    let copied = 0;
    for (let i = 0; i < requests.length; i++) {
      const t = performance.now();
      const r = await syncMailbox({ ...requests[i], previous: states[i] });
      ms.push(performance.now() - t);
      copied += r.totals.copied;
    }
    const floor: number[] = [];
    for (const u of users.slice(0, 50)) {
      const t = performance.now();
      const [a, b] = await Promise.all([connectImap(host1, u.user, u.host1), connectImap(host2, u.user, u.host2)]);
      await Promise.all([a.logout(), b.logout()]);
      floor.push(performance.now() - t);
    }
    const median = quantile(ms, 0.5);
    s.report.add({
      profile: 'small mailboxes',
      figure: `unchanged mailbox re-sync, median of ${ms.length}`,
      value: `${f1(median)} ms (p90 ${f1(quantile(ms, 0.9))} ms, copied ${copied})`,
      target: '≤ 50 ms',
      verdict: copied ? 'MISS' : judge(median, '≤', 50),
      peers: `floor (login + logout on both servers) ${f1(quantile(floor, 0.5))} ms`,
    });
  } finally {
    await Promise.allSettled(servers.map((x) => x.stop()));
  }
}
