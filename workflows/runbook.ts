// The runbook's steps (imapsync's FAQ.Migration_Plan), its state and what an operator
// sees of it: the `status` query, the phase search attributes and the UI's details.
// classicalMigration and luckyMigration put these steps in the FAQ's order.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { AuditEntry, DnsRecordSet } from './audit';
import { Gates } from './gates';
import { mailboxRound, type MailboxOutcome, type RoundInput, type RoundKind } from './mailbox-round';
import { jsonBytes, PAYLOAD_BUDGET_BYTES, statesWithin, withStatesWithinBudget } from './payload-budget';
import { assertMxMayMove, type FinalSyncOutcome } from './phase-rules';
import { MIGRATION_OPEN_GATE, MIGRATION_PHASE, MIGRATION_SCENARIO } from './search-attributes';
import { parseSpec, type GateName, type MigrationSpec, type MigrationSpecInput } from './spec';
import type { NoticeKind } from '../activities/notify/schema';
import type { SyncState } from '../activities/imap/types';

/** What approving each gate lets happen, in the approver's notices. */
const GATE_MEANING: Record<GateName, string> = {
  start: 'the migration starts: TTLs are lowered and the daily pre-syncs begin',
  cutover: "users lose access to the old server and the final sync runs",
  'switch-mx': 'new mail goes to the new server (the MX records change)',
  'shutdown-old': 'the IMAP host name moves to the new server',
  done: 'the post-syncs end and the TTLs go back to normal',
  'dns-conflict': 'mailshift makes its change over the record as it is now (put the record back yourself first, or roll back, if it must stay)',
};

export interface RoundSummary {
  kind: RoundKind;
  wave?: string;
  startedAt: string;
  durationMs: number;
  mailboxes: number;
  failed: string[];
  copied: number;
  deleted: number;
}

export interface MigrationStatus {
  name: string;
  scenario: string;
  phase: string;
  openGate?: GateName;
  /** Why the runbook waits at gate `dns-conflict`: the record, what was expected and found. */
  conflict?: string;
  paused: boolean;
  nextTimer?: { what: string; at: string };
  mailboxes: Record<string, { wave: string; usersOnHost2: boolean; last?: MailboxOutcome & { kind: RoundKind } }>;
  rounds: RoundSummary[];
  /** The last pre-sync round's duration: what the final sync should take. */
  finalSyncEstimateMs?: number;
  audit: AuditEntry[];
}

export interface MigrationReport extends MigrationStatus {
  outcome: 'completed' | 'rolled-back';
}

/** Where the runbook's long loops hand over to a fresh run: they are the only places it does. */
export type ResumeStage = 'presync' | 'postsync';

/** What a continued run carries over, so that its history starts small again. */
export interface RunbookSnapshot {
  stage: ResumeStage;
  audit: AuditEntry[];
  rounds: RoundSummary[];
  mailboxes: MigrationStatus['mailboxes'];
  originalRecords: DnsRecordSet[];
  currentRecords: [string, DnsRecordSet | null][];
  mxOnHost2: boolean;
  accessCut: string[];
  finalSync?: FinalSyncOutcome;
  syncStates: Record<string, SyncState>;
  quietRounds: number;
  paused: boolean;
}

/** Past this many events a loop of the runbook continues-as-new (a day of pre-sync is ~15). */
const RUNBOOK_HISTORY_BUDGET = 2_000;

export const statusQuery = defineQuery<MigrationStatus>('status');

const act = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 10, initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const HOUR = 3_600_000;
const nowIso = () => new Date().toISOString();

export class RollbackRequested extends Error {}

export class Runbook {
  readonly spec: MigrationSpec;
  phase = 'starting';
  nextTimer: MigrationStatus['nextTimer'];
  readonly audit: AuditEntry[] = [];
  readonly rounds: RoundSummary[] = [];
  readonly mailboxes: MigrationStatus['mailboxes'] = {};
  readonly gates: Gates;
  /** The records as they were before the first change: what rollback and the end restore. */
  originalRecords: DnsRecordSet[] = [];
  /** The records as they are now (after our last change). */
  private currentRecords = new Map<string, DnsRecordSet | null>();
  private mxOnHost2 = false;
  private accessCut: string[] = [];
  private finalSync: FinalSyncOutcome | undefined;
  private shownAttributes = '';
  /** Each mailbox's sync state from its last sync round, handed to the next one. */
  private syncStates: Record<string, SyncState> = {};

  private quietRounds = 0;
  private conflict: string | undefined;

  constructor(
    private readonly input: MigrationSpecInput,
    private readonly resumed?: RunbookSnapshot,
  ) {
    try {
      // A continued run's migration hour may be past: that was checked when it started.
      this.spec = parseSpec(input, resumed ? new Date(0) : new Date());
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidSpec');
    }
    for (const m of this.spec.mailboxes) this.mailboxes[m.source.user] = { wave: m.wave, usersOnHost2: false };
    if (resumed) {
      this.audit.push(...resumed.audit);
      this.rounds.push(...resumed.rounds);
      Object.assign(this.mailboxes, resumed.mailboxes);
      this.originalRecords = resumed.originalRecords;
      this.currentRecords = new Map(resumed.currentRecords);
      this.mxOnHost2 = resumed.mxOnHost2;
      this.accessCut = resumed.accessCut;
      this.finalSync = resumed.finalSync;
      this.syncStates = resumed.syncStates;
      this.quietRounds = resumed.quietRounds;
    }
    this.gates = new Gates({
      approvers: this.spec.approvals.approvers,
      automaticGates: this.spec.approvals.automaticGates,
      audit: (e) => this.audit.push(e),
      rollbackRefusal: () => this.rollbackRefusal(),
      onChange: () => this.show(),
    });
    this.gates.paused = resumed?.paused ?? false;
    setHandler(statusQuery, () => this.status(), { description: 'Phase, open gate, progress, estimates and the audit log' });
    upsertSearchAttributes([{ key: MIGRATION_SCENARIO, value: this.spec.scenario }]);
  }

  /** Rollback is possible until users were given host2: after that, their new mail is there. */
  private rollbackRefusal(): string | undefined {
    const given = Object.entries(this.mailboxes).filter(([, m]) => m.usersOnHost2).map(([u]) => u);
    return given.length ? `users already work on host2 (${given.slice(0, 5).join(', ')}${given.length > 5 ? ', …' : ''})` : undefined;
  }

  status(): MigrationStatus {
    const presyncs = this.rounds.filter((r) => r.kind === 'presync');
    return {
      name: this.spec.name,
      scenario: this.spec.scenario,
      phase: this.phase,
      openGate: this.gates.openGate,
      conflict: this.conflict,
      paused: this.gates.paused,
      nextTimer: this.nextTimer,
      mailboxes: this.mailboxes,
      rounds: this.rounds,
      finalSyncEstimateMs: presyncs.at(-1)?.durationMs,
      audit: this.audit,
    };
  }

  report(outcome: MigrationReport['outcome']): MigrationReport {
    this.enter(outcome === 'completed' ? 'completed' : 'rolled-back');
    return { ...this.status(), outcome };
  }

  /** Keeps the UI (details, search attributes) in step with the runbook. */
  private show(): void {
    // Each upsert is a history event: only when the phase or the open gate changed.
    const shown = `${this.phase}|${this.gates.openGate ?? 'none'}`;
    if (shown !== this.shownAttributes) {
      this.shownAttributes = shown;
      upsertSearchAttributes([
        { key: MIGRATION_PHASE, value: this.phase },
        { key: MIGRATION_OPEN_GATE, value: this.gates.openGate ?? 'none' },
      ]);
    }
    const total = this.spec.mailboxes.length;
    const last = this.rounds.at(-1);
    setCurrentDetails(
      [
        `**${this.spec.name}** (${this.spec.scenario}): **${this.phase}**${this.gates.paused ? ' — paused' : ''}`,
        this.gates.openGate
          ? `Waiting for approval of gate **${this.gates.openGate}**: Signal \`approve\` with \`{"gate":"${this.gates.openGate}","by":"<approver>"}\``
          : '',
        this.conflict ?? '',
        last ? `Last round: ${last.kind}, ${last.mailboxes - last.failed.length}/${total} mailboxes ok, ${last.copied} copied` : '',
        this.nextTimer ? `Next: ${this.nextTimer.what} at ${this.nextTimer.at}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  private enter(phase: string): void {
    this.phase = phase;
    this.show();
  }

  /** Between steps: hold while paused; turn a requested rollback into the rollback path. */
  private async step(phase: string): Promise<void> {
    await this.gates.whilePaused();
    if (this.gates.rollbackRequested) throw new RollbackRequested();
    this.enter(phase);
  }

  /** Whether this run still has to do the stages before `stage` (false once resumed at or past it). */
  before(stage: ResumeStage): boolean {
    const order = ['start', 'presync', 'postsync'];
    return order.indexOf(this.resumed?.stage ?? 'start') < order.indexOf(stage);
  }

  /** Between two rounds of a long loop: hand over to a fresh run when history has grown. */
  private async continueAsNewIfLong(stage: ResumeStage): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < RUNBOOK_HISTORY_BUDGET) return;
    await condition(allHandlersFinished); // no approval or update is cut off half-way
    const snapshot: RunbookSnapshot = {
      stage,
      audit: this.audit,
      rounds: this.rounds,
      mailboxes: this.mailboxes,
      originalRecords: this.originalRecords,
      currentRecords: [...this.currentRecords],
      mxOnHost2: this.mxOnHost2,
      accessCut: this.accessCut,
      finalSync: this.finalSync,
      syncStates: {},
      quietRounds: this.quietRounds,
      paused: this.gates.paused,
    };
    snapshot.syncStates = statesWithin(this.syncStates, Object.keys(this.syncStates), PAYLOAD_BUDGET_BYTES - jsonBytes(snapshot) - jsonBytes(this.input));
    await continueAsNew<(spec: MigrationSpecInput, resume?: RunbookSnapshot) => Promise<MigrationReport>>(this.input, snapshot);
  }

  private async wait(what: string, ms: number): Promise<void> {
    this.nextTimer = { what, at: new Date(Date.now() + ms).toISOString() };
    this.show();
    await sleep(ms);
    this.nextTimer = undefined;
  }

  async gate(gate: GateName, wave?: string): Promise<void> {
    await this.step(`waiting for ${gate}${wave ? ` (${wave})` : ''}`);
    await this.waitAtGate(gate, this.checksSoFar());
    if (this.gates.rollbackRequested) throw new RollbackRequested();
  }

  /** Tells the approvers what the gate opens and what was checked, then waits, reminding them. */
  private async waitAtGate(gate: GateName, checks: string, endsOnRollback = true): Promise<void> {
    const automatic: GateName[] = this.spec.approvals.automaticGates;
    if (!automatic.includes(gate)) await this.notifyApprovers('approver-gate-waiting', { gate, gateMeaning: GATE_MEANING[gate], checks });
    const remind = async (g: GateName, waitedMs: number) => {
      await this.notifyApprovers('approver-gate-reminder', { gate: g, gateMeaning: GATE_MEANING[g], waitedHours: String(Math.round(waitedMs / HOUR)) });
    };
    await this.gates.pass(gate, this.spec.schedule.remindAfterHours * HOUR, remind, endsOnRollback);
  }

  /** What an approver should know before approving: the last round's results. */
  private checksSoFar(): string {
    const last = this.rounds.at(-1);
    if (!last) return 'No mailbox round has run yet.';
    const failed = last.failed.length ? `; failed: ${last.failed.join(', ')}` : '';
    return `Last round (${last.kind}${last.wave ? `, ${last.wave}` : ''}): ${last.mailboxes - last.failed.length}/${last.mailboxes} mailboxes ok, ${last.copied} messages copied${failed}.`;
  }

  // ---- mailbox rounds -------------------------------------------------------------

  private usersOf(wave?: string): string[] {
    return this.spec.mailboxes.filter((m) => !wave || m.wave === wave).map((m) => m.source.user);
  }

  get waves(): string[] {
    return [...new Set(this.spec.mailboxes.map((m) => m.wave))];
  }

  private async round(kind: RoundKind, wave?: string): Promise<MailboxOutcome[]> {
    const started = Date.now();
    const users = this.usersOf(wave);
    const inRound = new Set(users);
    // The round makes room for each new state as it uses up the previous one (mailbox-round.ts).
    const input = withStatesWithinBudget<RoundInput>(
      {
        // Only this round's mailboxes: a round's input stays small however many there are.
        spec: { ...this.spec, mailboxes: this.spec.mailboxes.filter((m) => inRound.has(m.source.user)) },
        kind,
        mailboxes: users,
        usersOnHost2: Object.entries(this.mailboxes).filter(([, m]) => m.usersOnHost2).map(([u]) => u),
        mxOnHost2: this.mxOnHost2,
      },
      this.syncStates,
    );
    const outcomes = await executeChild(mailboxRound, {
      workflowId: `${workflowInfo().workflowId}/${kind}-${this.rounds.length + 1}${wave ? `-${wave}` : ''}`,
      args: [input],
    });
    for (const { state, ...o } of outcomes) {
      this.mailboxes[o.mailbox].last = { ...o, kind };
      if (state) this.syncStates[o.mailbox] = state;
      else if (kind !== 'verify') delete this.syncStates[o.mailbox];
    }
    const summary: RoundSummary = {
      kind,
      wave,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      mailboxes: outcomes.length,
      failed: outcomes.filter((o) => !o.ok).map((o) => o.mailbox),
      copied: outcomes.reduce((n, o) => n + o.copied, 0),
      deleted: outcomes.reduce((n, o) => n + o.deleted, 0),
    };
    this.rounds.push(summary);
    if (summary.deleted > 0) {
      const any = this.usersOf(wave)[0];
      const onHost2 = this.mailboxes[any]?.usersOnHost2 ?? false;
      this.audit.push({
        at: nowIso(),
        kind: 'destructive-sync',
        round: `${kind}${wave ? ` (${wave})` : ''}`,
        deleteOnDestination: kind !== 'postsync' && !onHost2 && !this.mxOnHost2,
        deleteOnSource: kind === 'postsync',
        deleted: summary.deleted,
      });
    }
    this.show();
    return outcomes;
  }

  /** Step 1: log in on both sides and compare what is there; stop on failures. */
  async preflight(): Promise<void> {
    await this.step('preflight');
    const outcomes = await this.round('verify');
    const failed = outcomes.filter((o) => o.error);
    if (failed.length) {
      throw ApplicationFailure.nonRetryable(
        `preflight failed for ${failed.length} mailbox(es): ${failed.map((o) => `${o.mailbox}: ${o.error}`).join('; ')}`,
        'PreflightFailed',
      );
    }
  }

  /** Step 4: pre-sync every mailbox on the cadence until the migration hour. */
  async presyncUntilMigrationHour(): Promise<void> {
    const migrationAt = Date.parse(this.spec.schedule.migrationAt);
    const cadence = this.spec.schedule.presyncEveryHours * HOUR;
    do {
      await this.step('pre-sync');
      await this.round('presync');
      const left = migrationAt - Date.now();
      if (left > 0) await this.wait('next pre-sync or the migration hour', Math.min(cadence, left));
      if (Date.now() < migrationAt) await this.continueAsNewIfLong('presync');
    } while (Date.now() < migrationAt);
  }

  /** Steps 6-7 for one wave: cut users' access to host1, then the final sync and its verification. */
  async cutAccessAndFinalSync(wave: string): Promise<void> {
    await this.step(`cut-over: ${wave}`);
    const users = this.usersOf(wave);
    await this.notifyUsers('users-cutover', users);
    if (this.spec.access.method !== 'dns') {
      await act.cutAccess({ method: this.spec.access, users, phase: 'cutover' });
      this.accessCut.push(...users);
      this.audit.push({ at: nowIso(), kind: 'access', step: 'cut', users });
    }
    await this.step(`final sync: ${wave}`);
    const synced = await this.round('final', wave);
    const verified = await this.round('verify', wave);
    const previous = this.finalSync ?? { completed: true, missing: 0, failedMailboxes: [] };
    this.finalSync = {
      completed: previous.completed,
      missing: previous.missing + verified.reduce((n, o) => n + o.missing, 0),
      failedMailboxes: [...previous.failedMailboxes, ...synced.filter((o) => !o.ok).map((o) => o.mailbox)],
    };
  }

  // ---- DNS --------------------------------------------------------------------------

  private recordNames(): { name: string; type: 'MX' | 'A' }[] {
    const names: { name: string; type: 'MX' | 'A' }[] = [{ name: this.spec.dns.mx.name, type: 'MX' }];
    if (this.spec.dns.imapHost) names.push({ name: this.spec.dns.imapHost.name, type: 'A' });
    return names;
  }

  private async change(step: string, next: DnsRecordSet): Promise<void> {
    const key = recordKey(next);
    for (;;) {
      const expected = this.currentRecords.get(key) ?? null;
      try {
        const { before, after } = await act.replaceRecords({ provider: this.spec.dns.provider, zone: this.spec.dns.zone, expected, next });
        this.currentRecords.set(key, after);
        this.audit.push({ at: nowIso(), kind: 'dns', step, before: [before], after: [after] });
        break;
      } catch (err) {
        const conflict = dnsConflictOf(err);
        if (!conflict) throw err;
        await this.holdOnConflict(step, next, conflict);
      }
    }
    const propagation = await act.checkPropagation({
      provider: this.spec.dns.provider,
      zone: this.spec.dns.zone,
      expected: next,
      resolvers: this.spec.dns.checkResolvers,
    });
    if (!propagation.ok) {
      throw ApplicationFailure.retryable(`${next.name} ${next.type} has not propagated: ${propagation.summary}`, 'NotPropagated');
    }
  }

  /**
   * Someone else changed a record mailshift is about to change: never overwrite it
   * unasked. Wait at gate `dns-conflict` with the conflict explained; once approved, the
   * record as it is then is what the change replaces (a rollback is possible instead).
   */
  private async holdOnConflict(step: string, next: DnsRecordSet, conflict: ApplicationFailure): Promise<void> {
    const [found] = (conflict.details ?? []) as { expected: DnsRecordSet | null; actual: DnsRecordSet | null }[];
    this.audit.push({ at: nowIso(), kind: 'dns-conflict', step, expected: found?.expected ?? null, found: found?.actual ?? null });
    this.conflict = `DNS conflict at "${step}": ${conflict.message}`;
    const phase = this.phase;
    this.enter(`waiting for dns-conflict (${step})`);
    // During a rollback the rollback request must not count as the approval.
    const rollingBack = phase === 'rolling back';
    await this.waitAtGate('dns-conflict', this.conflict, !rollingBack);
    this.conflict = undefined;
    if (this.gates.rollbackRequested && !rollingBack) throw new RollbackRequested();
    const { name, type } = next;
    this.currentRecords.set(recordKey(next), await act.readRecords({ provider: this.spec.dns.provider, zone: this.spec.dns.zone, name, type: type as 'MX' | 'A' }));
    this.enter(phase);
  }

  /** Step 3: lower the TTLs, remembering the old records, and wait out the old TTL. */
  async lowerTtl(): Promise<void> {
    await this.step('lowering TTL');
    let longest = 0;
    for (const { name, type } of this.recordNames()) {
      const rrset = await act.readRecords({ provider: this.spec.dns.provider, zone: this.spec.dns.zone, name, type });
      if (!rrset) throw ApplicationFailure.nonRetryable(`${name} has no ${type} record in ${this.spec.dns.zone}`, 'DnsMissing');
      this.originalRecords.push(rrset);
      this.currentRecords.set(recordKey(rrset), rrset);
      longest = Math.max(longest, rrset.ttl);
      if (rrset.ttl > this.spec.dns.lowTtl) await this.change('lower TTL', { ...rrset, ttl: this.spec.dns.lowTtl });
    }
    await this.wait('the old TTL to run out', longest * 1000);
  }

  /** Step 8: the MX to host2, only after a completed and verified final sync. */
  async switchMx(): Promise<void> {
    await this.step('switching MX');
    assertMxMayMove(this.finalSync);
    const { name } = this.spec.dns.mx;
    const current = [...this.currentRecords.values()].find((r) => r?.type === 'MX');
    await this.change('switch MX', { name: current?.name ?? name, type: 'MX', ttl: this.spec.dns.lowTtl, values: this.spec.dns.mx.host2 });
    this.mxOnHost2 = true;
  }

  /** Step 9: wait the low TTL, so that no server still sends to host1. */
  async waitTtl(): Promise<void> {
    await this.step('waiting the low TTL');
    await this.wait('the low TTL to run out', this.spec.dns.lowTtl * 1000);
  }

  /** Lucky scenario: the IMAP host name to host2 (or parked at cut-over). */
  async pointImapHost(step: string, addresses: string[]): Promise<void> {
    const imap = this.spec.dns.imapHost!;
    const current = [...this.currentRecords.values()].find((r) => r?.type === 'A');
    await this.change(step, { name: current?.name ?? imap.name, type: 'A', ttl: this.spec.dns.lowTtl, values: addresses });
  }

  /** Step 12: the TTLs back to their long value (also after a rollback). */
  async restoreTtl(): Promise<void> {
    await this.step('restoring TTL');
    for (const rrset of this.currentRecords.values()) {
      if (rrset && rrset.ttl !== this.spec.dns.restoreTtl) await this.change('restore TTL', { ...rrset, ttl: this.spec.dns.restoreTtl });
    }
  }

  // ---- users --------------------------------------------------------------------------

  /** Step 10: post-sync the INBOX: max age 1 day, delete on host1 only what host2 has. */
  async postSync(): Promise<MailboxOutcome[]> {
    await this.step('post-sync');
    return this.round('postsync');
  }

  /**
   * Step 11: keep post-syncing on the cadence while mail still arrives on host1, until
   * enough quiet rounds in a row, or until an approver approves gate `done`.
   */
  async postSyncUntilQuiet(): Promise<void> {
    this.gates.open('done');
    this.enter('post-syncing until quiet');
    while (this.quietRounds < this.spec.schedule.quietRoundsToFinish && !this.gates.isApproved('done')) {
      const waitMs = this.spec.schedule.postsyncEveryHours * HOUR;
      this.nextTimer = { what: 'next post-sync (or approve gate done)', at: new Date(Date.now() + waitMs).toISOString() };
      this.show();
      if (await condition(() => this.gates.isApproved('done') || !!this.gates.rollbackRequested, waitMs)) break;
      this.nextTimer = undefined;
      await this.continueAsNewIfLong('postsync');
      const outcomes = await this.postSync();
      this.quietRounds = outcomes.some((o) => o.copied > 0) ? 0 : this.quietRounds + 1;
    }
    this.nextTimer = undefined;
    if (this.gates.openGate === 'done') this.gates.close();
  }

  /** Users now work on host2: from here, deleting on host2 is forbidden and rollback too. */
  async handOverToHost2(): Promise<void> {
    await this.step('handing out host2');
    const users = this.usersOf();
    if (this.spec.scenario === 'classical') await this.notifyNewCredentials(users);
    // Lucky: mail clients see new UIDs on host2 and download their mail again; say it is normal.
    else await this.notifyUsers('users-mail-app-redownload', users);
    for (const u of users) this.mailboxes[u].usersOnHost2 = true;
  }

  async notifyUsers(notice: NoticeKind, users: string[], data: Record<string, string> = {}): Promise<void> {
    const byUser = new Map(this.spec.mailboxes.map((m) => [m.source.user, m]));
    const to = users.map((u) => byUser.get(u)?.contact).filter((c): c is string => !!c);
    if (to.length) await this.send(notice, to, data);
  }

  /** The new credentials triplet, one message per user: host name, user, where the password is. */
  async notifyNewCredentials(users: string[]): Promise<void> {
    for (const m of this.spec.mailboxes.filter((mb) => users.includes(mb.source.user) && mb.contact)) {
      const server = m.destination.server ?? this.spec.host2;
      await this.send('users-new-credentials', [m.contact!], {
        user: m.destination.user,
        imapHost: server.host,
        imapPort: String(server.port),
        imapSecurity: { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' }[server.tls],
        passwordInstructions: this.spec.notifications.passwordInstructions,
      });
    }
  }

  async notifyApprovers(notice: NoticeKind, data: Record<string, string> = {}): Promise<void> {
    const to = this.spec.notifications.approverEmails;
    if (to.length) await this.send(notice, to, { approvers: this.spec.approvals.approvers.join(', '), ...data });
  }

  private async send(notice: NoticeKind, to: string[], data: Record<string, string>): Promise<void> {
    const n = this.audit.filter((e) => e.kind === 'notice').length;
    const { workflowId, namespace } = workflowInfo();
    const estimate = this.rounds.filter((r) => r.kind === 'presync').at(-1)?.durationMs;
    await act.sendNotice({
      notice,
      to,
      from: this.spec.notifications.from,
      smtp: this.spec.notifications.smtp,
      data: {
        migrationName: this.spec.name,
        migrationAt: this.spec.schedule.migrationAt,
        expectedDuration: estimate ? `${Math.max(1, Math.ceil(estimate / 60_000))} minutes` : 'a few hours',
        // The final sync takes about as long as the last pre-sync (4 hours when none ran yet).
        expectedEnd: new Date(Math.max(Date.now(), Date.parse(this.spec.schedule.migrationAt)) + (estimate ?? 4 * HOUR)).toISOString(),
        helpContact: this.spec.notifications.helpContact,
        oldServerName: this.spec.host1.host,
        waitBeforeCalling: '30 minutes',
        workflowId,
        namespace,
        ...data,
      },
      idempotencyKey: `${workflowId}/${notice}/${n}`,
    });
    this.audit.push({ at: nowIso(), kind: 'notice', notice, to: to.length });
  }

  // ---- back-out -----------------------------------------------------------------------

  /** Rollback: DNS back to the recorded records (TTL restored too), host1 re-opened, users told. */
  async rollback(): Promise<MigrationReport> {
    this.enter('rolling back');
    for (const original of this.originalRecords) {
      const current = this.currentRecords.get(recordKey(original));
      if (JSON.stringify(current) !== JSON.stringify(original)) {
        await this.change('rollback', original);
      }
    }
    if (this.accessCut.length) {
      await act.restoreAccess({ method: this.spec.access, users: this.accessCut, phase: 'rollback' });
      this.audit.push({ at: nowIso(), kind: 'access', step: 'restore', users: this.accessCut });
    }
    const by = this.gates.rollbackRequested;
    await this.notifyUsers('users-rollback', this.usersOf());
    await this.notifyApprovers('approver-rollback-done', {
      by: by?.by ?? 'the runbook',
      comment: by?.comment ?? '',
      restored: `DNS records: ${this.originalRecords.map((r) => `${r.name} ${r.type}`).join(', ') || 'none changed'}; host1 access: ${this.accessCut.length} user(s)`,
    });
    return this.report('rolled-back');
  }
}

/** Where a record set is kept in `currentRecords`: `name/type`. */
const recordKey = (r: Pick<DnsRecordSet, 'name' | 'type'>) => `${r.name}/${r.type}`;

/** The DnsConflict failure behind an activity failure (activities/dns/errors.ts DNS_CONFLICT; workflows import no activity code). */
function dnsConflictOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure && cause.type === 'DnsConflict' ? cause : undefined;
}

/** Runs a scenario's steps; a rollback requested at any step takes the back-out path. */
export async function runScenario(
  input: MigrationSpecInput,
  resume: RunbookSnapshot | undefined,
  steps: (run: Runbook) => Promise<void>,
): Promise<MigrationReport> {
  const run = new Runbook(input, resume);
  try {
    await steps(run);
    return run.report('completed');
  } catch (err) {
    if (err instanceof RollbackRequested) return run.rollback();
    throw err;
  }
}
