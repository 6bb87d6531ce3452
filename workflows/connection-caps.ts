// Connection caps that hold across every worker. A round's mailboxes are all dispatched by
// one mailboxRound workflow, so the round itself counts: each mailbox's sync (or
// verification) opens exactly `connectionsPerSide` connections to its host1 server and as
// many to its host2 server (the activity's first pair plus one pair per further folder
// copied in parallel, activities/imap/connections.ts), and the round starts a mailbox only
// when every server it touches has room under its maxConnections. Per login, the request
// asks for no more parallel folders than the account allows. Rounds of one runbook run one
// after another (sync-rounds.ts), so one round's count is the runbook's.
import { condition } from '@temporalio/workflow';
import { PROVIDER_PRESETS } from './provider-presets';
import type { ImapServer, Mailbox, MigrationSpec } from './spec';
import { serverKey } from './spec-fields';

/** Folders a sync copies at once when nothing caps it, each over its own pair of connections. */
const PARALLEL_FOLDERS = 2;

const serverOf = (spec: MigrationSpec, m: Mailbox) => ({ host1: spec.host1, host2: m.destination.server ?? spec.host2 });

/** The spec's per-account cap, else the provider's. */
const perAccountCap = (s: ImapServer) => s.connectionsPerAccount ?? PROVIDER_PRESETS[s.provider].limits.connectionsPerAccount;

/**
 * Connections one mailbox's sync holds to each side at most: the parallel folders, capped
 * by each account's limit and each server's. When both sides are one server, the two
 * sides together stay within its cap.
 */
export function connectionsPerSide(spec: MigrationSpec, m: Mailbox): number {
  const { host1, host2 } = serverOf(spec, m);
  const caps = [PARALLEL_FOLDERS, perAccountCap(host1), perAccountCap(host2), host1.maxConnections, host2.maxConnections];
  const sameServer = serverKey(host1) === serverKey(host2);
  const max = Math.min(host1.maxConnections ?? Infinity, host2.maxConnections ?? Infinity);
  if (sameServer && Number.isFinite(max)) caps.push(Math.floor(max / 2));
  return Math.max(1, Math.min(...caps.filter((c): c is number => c !== undefined)));
}

/** What a mailbox holds on each capped server while it runs. */
function usesOf(spec: MigrationSpec, m: Mailbox): Map<string, { count: number; cap: number }> {
  const n = connectionsPerSide(spec, m);
  const uses = new Map<string, { count: number; cap: number }>();
  for (const s of Object.values(serverOf(spec, m))) {
    if (s.maxConnections === undefined) continue;
    const key = serverKey(s);
    const u = uses.get(key) ?? { count: 0, cap: s.maxConnections };
    uses.set(key, { count: u.count + n, cap: Math.min(u.cap, s.maxConnections) });
  }
  return uses;
}

/** The round's count of connections held per server, and the wait for room. */
export class ConnectionCaps {
  private readonly held = new Map<string, number>();

  constructor(private readonly spec: MigrationSpec) {}

  /** Waits until the mailbox's connections fit under every cap it touches; returns their release. */
  async acquire(m: Mailbox): Promise<() => void> {
    const uses = usesOf(this.spec, m);
    const fits = () => [...uses].every(([key, u]) => (this.held.get(key) ?? 0) + u.count <= u.cap);
    // Several waiters may wake together: each checks again before it takes its share.
    while (!fits()) await condition(fits);
    for (const [key, u] of uses) this.held.set(key, (this.held.get(key) ?? 0) + u.count);
    return () => {
      for (const [key, u] of uses) this.held.set(key, this.held.get(key)! - u.count);
    };
  }
}
