// Recording fakes of the runbook's activities, for workflow tests on the time-skipping
// server (Temporal's own way to test workflows). Every activity is also tested against
// the real servers in test/imap, test/dns, test/notify, test/access and test/provisioning.
import { ApplicationFailure } from '@temporalio/common';
import type * as activities from '../../activities';
import { validateSpec } from '../../activities/spec';
import { readDestinationUsers, readMailboxes, readRoster } from '../../activities/mailbox-pages';
import type { DnsRecordSet } from '../../workflows/audit';
import { sizeAudit } from '../../activities/imap/size-audit';
import type { SyncRequest } from '../../activities/imap/types';

export interface Call {
  name: string;
  input: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface FakeWorld {
  calls: Call[];
  records: Map<string, DnsRecordSet>;
  /** Messages verification reports missing on host2, by mailbox. */
  missing: Map<string, number>;
  /** Messages each post-sync round copies (then 0): mail still arriving on host1. */
  postsyncArrivals: number[];
  /** Messages a sync that is no post-sync copies (default 3). */
  syncCopies?: (req: SyncRequest) => number;
  /** Extra bytes in each sync state (a mailbox with many folders). */
  stateBytes?: number;
  /** Messages that reached host1 after each mailbox's last sync started: missing unless verified as of that start. */
  lateArrivals: Map<string, number>;
  /** Messages on host2 that did not come from host1, by mailbox (users who started early). */
  host2Only: Map<string, number>;
  /** host1's bytes by mailbox (ten messages, none yet on host2): verification then reports the size audit. */
  host1Bytes: Map<string, number>;
  /** host2's storage quota in bytes by mailbox (none: no quota), for the size audit. */
  host2Quota: Map<string, number>;
  /**
   * Makes an activity fail: called with its input before it runs; a thrown error is the
   * activity's failure (non-retryable ones end its retries at once, as an exhausted policy does).
   */
  fail: Partial<Record<keyof typeof activities, (input: any) => void>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** checkPropagation's answers, in turn (then ok). */
  propagation: boolean[];
  /** Real milliseconds each sync takes: rounds then have a measured duration. */
  syncDelayMs?: number;
  /** Real milliseconds each notice takes: a gate is then open a while before its announcement is written. */
  noticeDelayMs?: number;
  /** Message bytes each mailbox's syncs still have to copy; a sync with maxBytes copies at most that many. */
  toCopyBytes: Map<string, number>;
  /** Syncs and verifications running now, and the most at once (one object may be shared by several workers' worlds). */
  running: { now: number; peak: number };
  /** Where the next canary lands (default host2); `refused`: the MX refuses it. */
  canaryLandsOn: 'host1' | 'host2' | 'nowhere' | 'refused';
  /** Where each canary sent landed, by token. */
  canaries: Map<string, 'host1' | 'host2' | 'nowhere'>;
  /** Messages mailQueue reports still pending (active/deferred) for the held addresses, in turn (then 0). */
  mailPending: number[];
  /** Messages held on host1's MTA for each holdMail's addresses, by address. */
  held: Map<string, number>;
  /** The holding relay (hold-and-release): messages it holds for the domain, and where it routes them once released. */
  relay: { held: number; routedTo?: 'host1' | 'host2' };
  /** Messages the relay's queue still shows at each look after its release, in turn (then none). */
  relayLeft: number[];
  /** host2 logins whose mailbox provisionMailboxes created (a repeat reports already-there). */
  provisioned: Set<string>;
}

export function fakeWorld(initial: DnsRecordSet[]): FakeWorld {
  return {
    calls: [],
    records: new Map(initial.map((r) => [`${r.name}/${r.type}`, r])),
    missing: new Map(),
    postsyncArrivals: [],
    lateArrivals: new Map(),
    host2Only: new Map(),
    host1Bytes: new Map(),
    host2Quota: new Map(),
    toCopyBytes: new Map(),
    running: { now: 0, peak: 0 },
    fail: {},
    propagation: [],
    canaryLandsOn: 'host2',
    canaries: new Map(),
    mailPending: [],
    held: new Map(),
    relay: { held: 0 },
    relayLeft: [],
    provisioned: new Set(),
  };
}

const totals = (copied: number) => ({
  sourceMessages: copied,
  destinationMessages: 0,
  copied,
  flagsUpdated: 0,
  deletedOnDestination: 0,
  extraOnDestination: 0,
  keptOnDestination: 0,
  deletedOnSource: 0,
  skipped: 0,
  bytesCopied: copied * 1000,
});

export function fakeActivities(world: FakeWorld): typeof activities {
  const record = (name: keyof typeof activities, input: unknown) => {
    world.calls.push({ name, input });
    world.fail[name]?.(input);
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each fake takes its own activity's input
  const fakes: Partial<Record<keyof typeof activities, (input: any) => Promise<unknown>>> = {
    // Pure validation and reading the mailbox list, not side effects: the real ones.
    validateSpec,
    readRoster,
    readMailboxes,
    readDestinationUsers,
    async verifyMailbox(req: SyncRequest) {
      record('verifyMailbox', req);
      // As of a sync's start, later arrivals are not judged (the post-sync's job).
      const missing = (world.missing.get(req.mailbox) ?? 0) + (req.asOf ? 0 : (world.lateArrivals.get(req.mailbox) ?? 0));
      const extra = world.host2Only.get(req.mailbox) ?? 0;
      // The real verdict on made-up sizes (only for mailboxes given a size).
      const bytes = world.host1Bytes.get(req.mailbox);
      const quota = world.host2Quota.get(req.mailbox);
      // Ten messages of a tenth each: over host2's provider limit, all ten or none.
      const folder = { sourceMessages: 10, sourceBytes: bytes ?? 0, largest: Math.ceil((bytes ?? 0) / 10), missing: 10 };
      const providerLimit = req.destinationMaxMessageBytes;
      const tooLarge = providerLimit !== undefined && folder.largest > providerLimit ? 10 : 0;
      const size =
        bytes === undefined
          ? undefined
          : sizeAudit([{ ...folder, missingBytes: folder.sourceBytes, largestMissing: folder.largest, tooLarge }], {
              quota: quota === undefined ? null : { limit: quota, usage: 0 },
              appendLimit: null,
              ...(providerLimit !== undefined && { providerLimit }),
            });
      return {
        mailbox: req.mailbox,
        ok: missing === 0,
        folders: [],
        excludedFolders: [],
        destinationOnlyFolders: [],
        missing,
        extra,
        flagMismatches: 0,
        durationMs: 1,
        ...(size && { size }),
      };
    },
    async syncMailbox(req: SyncRequest) {
      record('syncMailbox', req);
      if (world.syncDelayMs) await new Promise((r) => setTimeout(r, world.syncDelayMs));
      const postsync = req.deleteOnSource;
      const copied = postsync ? (world.postsyncArrivals.shift() ?? 0) : (world.syncCopies?.(req) ?? 3);
      // As the real engine: with maxBytes it copies what fits and says whether it stopped there.
      const toCopy = world.toCopyBytes.get(req.mailbox) ?? 0;
      const spent = Math.min(toCopy, req.maxBytes ?? Infinity);
      world.toCopyBytes.set(req.mailbox, toCopy - spent);
      const byteBudget = req.maxBytes === undefined ? undefined : { spent, reached: toCopy > spent };
      // --delete2 removes what host1 lacks, except what arrived on host2 since the previous sync
      // (the engine's marks): users' own mail, kept.
      const own = world.host2Only.get(req.mailbox) ?? 0;
      const keptOnDestination = req.deleteOnDestination && req.previous ? own : 0;
      if (req.deleteOnDestination && !req.previous) world.host2Only.delete(req.mailbox);
      const sourceMarks = [{ folder: 'INBOX', uidValidity: '1', uidNext: world.calls.length }];
      // A state that names the sync it came from: the next sync must be handed it.
      const state = { version: 1, pair: req.mailbox + ' '.repeat(world.stateBytes ?? 0), takenAt: `sync-${world.calls.length}`, folders: [] };
      // What host2 holds that host1 lacks, and the sync left there.
      const extraOnDestination = req.deleteOnDestination ? 0 : own;
      const sums = { ...totals(copied), extraOnDestination, keptOnDestination, bytesCopied: spent };
      return {
        mailbox: req.mailbox,
        dryRun: false,
        folders: [],
        excludedFolders: [],
        totals: sums,
        durationMs: 1,
        state,
        sourceMarks,
        ...(byteBudget && { byteBudget }),
      };
    },
    async readRecords(input: { name: string; type: string }) {
      record('readRecords', input);
      return world.records.get(`${input.name}/${input.type}`) ?? null;
    },
    async replaceRecords(input: { expected: DnsRecordSet | null; next: DnsRecordSet | null }) {
      record('replaceRecords', input);
      // As the real activity: `next` null deletes the record set.
      const { name, type } = (input.next ?? input.expected)!;
      const key = `${name}/${type}`;
      const before = world.records.get(key) ?? null;
      // As the real activity: a record that is not what the runbook expects is never overwritten.
      if (JSON.stringify(before) !== JSON.stringify(input.expected) && JSON.stringify(before) !== JSON.stringify(input.next)) {
        throw ApplicationFailure.nonRetryable(`${name} ${type} is not what mailshift expected (someone else changed it)`, 'DnsConflict', {
          name,
          type,
          expected: input.expected,
          actual: before,
        });
      }
      if (input.next) world.records.set(key, input.next);
      else world.records.delete(key);
      return { before, after: input.next };
    },
    async checkPropagation(input: { expected: DnsRecordSet | null; name?: string; type?: string }) {
      record('checkPropagation', input);
      // As the real activity: a record that should be gone is named by name and type.
      if (!input.expected && !(input.name && input.type))
        throw ApplicationFailure.nonRetryable('give name and type when expected is null', 'DnsRequestInvalid');
      return world.propagation.shift() === false
        ? { ok: false, summary: '127.0.0.1 still answers the old records' }
        : { ok: true, summary: 'all servers answer the new records' };
    },
    async cutAccess(input: { users: string[] }) {
      record('cutAccess', input);
      return input.users.map((user) => ({ user, result: 'cut' }));
    },
    async restoreAccess(input: { users: string[] }) {
      record('restoreAccess', input);
      return input.users.map((user) => ({ user, result: 'restored' }));
    },
    async provisionMailboxes(input: { method: { method: string }; users: { user: string }[] }) {
      record('provisionMailboxes', input);
      const users = input.users.map(({ user }) => ({
        user,
        outcome: world.provisioned.has(user) ? 'already-there' : (world.provisioned.add(user), 'created'),
      }));
      return { method: input.method.method, users };
    },
    async closeSessions(input: { users: string[] }) {
      record('closeSessions', input);
      return input.users.map((user) => ({ user, sessionsKicked: true }));
    },
    async sendCanary(input: { token: string }) {
      record('sendCanary', input);
      if (world.canaryLandsOn === 'refused') return { accepted: false, via: 'mail2.example.test. (127.0.0.2:25)', detail: 'refused: 550 5.1.1 no such user' };
      // DNS answers the switched MX: whether its host delivers to host2 is another matter.
      world.canaries.set(input.token, world.canaryLandsOn);
      return { accepted: true, via: 'mail2.example.test. (127.0.0.2:25)', detail: '250 2.0.0 Ok: queued' };
    },
    async findCanary(input: { token: string }) {
      record('findCanary', input);
      const landed = world.canaries.get(input.token);
      return { host1: landed === 'host1' ? 1 : 0, host2: landed === 'host2' ? 1 : 0 };
    },
    async holdMail(input: { addresses: string[] }) {
      record('holdMail', input);
      for (const a of input.addresses) world.held.set(a, world.held.get(a) ?? 1);
      return { changed: true, released: 0 };
    },
    async mailQueue(input: { addresses: string[] }) {
      record('mailQueue', input);
      const held = input.addresses.reduce((n, a) => n + (world.held.get(a) ?? 0), 0);
      return { held, pending: world.mailPending.shift() ?? 0 };
    },
    async releaseMail(input: { addresses: string[] }) {
      record('releaseMail', input);
      const released = input.addresses.reduce((n, a) => n + (world.held.get(a) ?? 0), 0);
      for (const a of input.addresses) world.held.delete(a);
      return { changed: true, released };
    },
    async holdDomainMail(input: unknown) {
      record('holdDomainMail', input);
      world.relay = { held: 2 }; // mail that arrives while the MX points to the relay
      return { changed: true, released: 0 };
    },
    async relayQueue(input: unknown) {
      record('relayQueue', input);
      return { held: world.relay.routedTo ? (world.relayLeft.shift() ?? 0) : world.relay.held, pending: 0 };
    },
    async releaseDomainMail(input: { to: 'host1' | 'host2' }) {
      record('releaseDomainMail', input);
      const released = world.relay.held;
      world.relay = { held: 0, routedTo: input.to };
      return { changed: true, released };
    },
    async sendNotice(input: unknown) {
      record('sendNotice', input);
      if (world.noticeDelayMs) await new Promise((r) => setTimeout(r, world.noticeDelayMs));
      return { sent: true };
    },
  };
  // How many mailbox activities run at once (the connection caps' test counts them).
  for (const name of ['syncMailbox', 'verifyMailbox'] as const) {
    const run = fakes[name]!;
    fakes[name] = async (input) => {
      world.running.now++;
      world.running.peak = Math.max(world.running.peak, world.running.now);
      try {
        return await run(input);
      } finally {
        world.running.now--;
      }
    };
  }
  return fakes as unknown as typeof activities;
}
