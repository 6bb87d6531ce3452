// The runbook's state and what an operator sees of it (the `status` query: runbook-status.ts;
// the phase search attributes and the UI's details), and its steps by the names the scenarios
// (*-migration.ts) put in their order. The steps live by concern: provisioning.ts, sync-rounds.ts,
// dns-steps.ts, mail-hold.ts, hand-over.ts, notices.ts, rollback.ts; a migration starts in
// run-scenario.ts.
import { allHandlersFinished, condition, continueAsNew, log, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { NoticeKind } from '../activities/notify/schema';
import type { SyncState } from '../activities/imap/types';
import type { DnsRecordSet } from './audit';
import { AuditLog } from './audit-log';
import { checkMailFlow } from './canary';
import { checksSoFar } from './gate-checks';
import { currentDetails } from './current-details';
import * as dnsSteps from './dns-steps';
import { Gates, RollbackRequested } from './gates';
import { handOverToHost2 } from './hand-over';
import { GATE_MEANING } from './gate-meaning';
import * as mailHold from './mail-hold';
import type { RelayHold, WaveMailHold } from './mail-hold';
import { notifyApprovers, notifyUsers } from './notices';
import { jsonBytes, PAYLOAD_BUDGET_BYTES, statesWithin } from './payload-budget';
import { detailsOf, mailboxesPageOf, noteThrottles, recordOf, reportOf, statusOf } from './runbook-status';
import type { FinalSyncOutcome } from './phase-rules';
import { provisionHost2 } from './provisioning';
import { rollback } from './rollback';
import { MIGRATION_OPEN_GATE, MIGRATION_PHASE, MIGRATION_SCENARIO } from './search-attributes';
import { snapshotOf, type ResumeStage, type RunbookSnapshot } from './snapshot';
import type { GateName, MigrationSpec } from './spec';
import { mailboxesQuery, mailboxQuery, statusQuery, type MigrationReport, type MigrationStatus, type RoundSummary } from './status';
import { failureMessage, withRecovery } from './step-failed';
import { stepAfter, stepsOf } from './steps';
import * as postSyncs from './post-syncs';
import * as syncRounds from './sync-rounds';
import { fromColumns } from './mailbox-columns';
import type { RosterEntry } from './mailbox-pages';
import { mailboxThrottledSignal } from './throttled-mailboxes';

/** Past this many events (or bytes: a round of many pages adds its outcomes) a loop of the runbook continues-as-new (a day of pre-sync is ~15). */
const RUNBOOK_HISTORY_BUDGET = 2_000;
const RUNBOOK_HISTORY_BYTES = 8 * 1024 * 1024;

const HOUR = 3_600_000;

export class Runbook {
  phase = 'starting';
  /** Index in the scenario's steps (workflows/steps.ts), following the phases entered. */
  currentStep = -1;
  nextTimer: MigrationStatus['nextTimer'];
  readonly audit: AuditLog;
  readonly rounds: RoundSummary[] = [];
  readonly mailboxes: MigrationStatus['mailboxes'] = {};
  readonly gates: Gates;
  /** The records as they were before the first change: what rollback and the end restore. */
  originalRecords: DnsRecordSet[] = [];
  /** The records as they are now (after our last change). */
  currentRecords = new Map<string, DnsRecordSet | null>();
  mxOnHost2 = false;
  /** Set once the back-out path has begun: a rollback request there is no longer a way out of a gate. */
  rollingBack = false;
  accessCut: string[] = [];
  finalSync: FinalSyncOutcome | undefined;
  /** Each mailbox's sync state from its last sync round, handed to the next one. */
  syncStates: Record<string, SyncState> = {};
  quietRounds = 0;
  /** Waves whose incoming mail was held on host1's MTA (spec mailFlow.hold): what rollback releases back to host1. */
  mailHold: Record<string, WaveMailHold> = {};
  /** Hold-and-release: the holding relay's mail (recorded before each change), what rollback releases back to host1. */
  relayHold: RelayHold | undefined;
  /** Why the runbook waits at gate `dns-conflict`. */
  conflict: string | undefined;
  /** Why the runbook waits at gate `step-failed`. */
  failure: MigrationStatus['failure'];
  /** Why the runbook waits at gate `canary`. */
  canary: string | undefined;
  private shownAttributes = '';
  /** What the last continue-as-new could not carry of the mailboxes' figures (status: mailboxFiguresDropped). */
  figuresDropped: string[] = [];

  constructor(
    readonly spec: MigrationSpec,
    /** Every mailbox's host1 user and wave (mailbox-pages.ts): in memory, never in a payload. */
    readonly roster: RosterEntry[],
    private readonly resumed?: RunbookSnapshot,
  ) {
    for (const m of roster) this.mailboxes[m.user] = { wave: m.wave, usersOnHost2: false };
    this.audit = new AuditLog(resumed?.audit, resumed?.auditOmitted);
    if (resumed) {
      this.rounds.push(...resumed.rounds);
      const carried = resumed.columns ? fromColumns(roster, resumed.columns) : resumed;
      this.figuresDropped = resumed.columns?.dropped ?? [];
      if (this.figuresDropped.length) log.warn('continued without some per-mailbox figures (payload budget)', { dropped: this.figuresDropped });
      Object.assign(this.mailboxes, carried.mailboxes);
      this.accessCut = carried.accessCut ?? [];
      this.finalSync = carried.finalSync;
      this.originalRecords = resumed.originalRecords;
      this.currentRecords = new Map(resumed.currentRecords);
      this.mxOnHost2 = resumed.mxOnHost2;
      this.syncStates = resumed.syncStates;
      this.quietRounds = resumed.quietRounds;
      this.mailHold = resumed.mailHold ?? {};
      this.relayHold = resumed.relayHold;
    }
    // Before the gates set their handler for unknown names, which would take it for one.
    setHandler(mailboxThrottledSignal, (n) => noteThrottles(this, n), { description: "A mailbox round's notices: servers throttled mailboxes until a time" });
    this.gates = new Gates({
      approvers: this.spec.approvals.approvers,
      automaticGates: this.spec.approvals.automaticGates,
      audit: (e) => this.audit.push(e),
      rollbackRefusal: () => this.rollbackRefusal(),
      onChange: () => this.show(),
    });
    this.gates.paused = resumed?.paused ?? false;
    this.gates.rollbackRequested = resumed?.rollbackRequested;
    setHandler(statusQuery, () => this.status(), { description: 'Phase, open gate, progress per wave, failing mailboxes first, estimates and the audit log' });
    setHandler(mailboxesQuery, (p) => mailboxesPageOf(this, p), { description: 'Mailboxes in the list\'s order: [{"offset": 0, "limit": 1000}]' });
    setHandler(mailboxQuery, (user) => (typeof user === 'string' && Object.hasOwn(this.mailboxes, user) ? { mailbox: user, ...recordOf(this, user) } : null), {
      description: 'One mailbox by its host1 user: ["alice"]',
    });
    upsertSearchAttributes([{ key: MIGRATION_SCENARIO, value: this.spec.scenario }]);
  }

  /** Rollback is possible until users were given host2: after that, their new mail is there. */
  private rollbackRefusal(): string | undefined {
    const given = Object.entries(this.mailboxes)
      .filter(([, m]) => m.usersOnHost2)
      .map(([u]) => u);
    return given.length ? `users already work on host2 (${given.slice(0, 5).join(', ')}${given.length > 5 ? ', …' : ''})` : undefined;
  }

  status(): MigrationStatus {
    return statusOf(this);
  }

  report(outcome: MigrationReport['outcome']): MigrationReport {
    this.enter(outcome === 'completed' ? 'completed' : 'rolled-back');
    return reportOf(this, outcome);
  }

  /** Keeps the UI (details, search attributes) in step with the runbook. */
  show(): void {
    // Each upsert is a history event: only when the phase or the open gate changed.
    const shown = `${this.phase}|${this.gates.openGate ?? 'none'}`;
    if (shown !== this.shownAttributes) {
      this.shownAttributes = shown;
      upsertSearchAttributes([
        { key: MIGRATION_PHASE, value: this.phase },
        { key: MIGRATION_OPEN_GATE, value: this.gates.openGate ?? 'none' },
      ]);
    }
    // Not the whole status: with 100,000 mailboxes its list of the failing ones costs a pass more.
    setCurrentDetails(currentDetails(detailsOf(this), workflowInfo().workflowId));
  }

  enter(phase: string): void {
    this.phase = phase;
    this.currentStep = stepAfter(stepsOf(this.spec.scenario), this.currentStep, phase);
    this.show();
  }

  /** Between steps: hold while paused; turn a requested rollback into the rollback path. */
  async step(phase: string): Promise<void> {
    await this.gates.whilePaused();
    if (this.gates.rollbackRequested) throw new RollbackRequested();
    this.enter(phase);
  }

  /** Whether this run still has to do the stages before `stage` (false once resumed at or past it). */
  before(stage: ResumeStage): boolean {
    // Each scenario asks only about its own stages: mx-first back-fills, the others post-sync.
    const order = ['start', 'presync', 'cutover', 'backfill', 'postsync'];
    return order.indexOf(this.resumed?.stage ?? 'start') < order.indexOf(stage);
  }

  /** Between two rounds of a long loop: hand over to a fresh run when history has grown. */
  async continueAsNewIfLong(stage: ResumeStage, events = RUNBOOK_HISTORY_BUDGET): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < events && info.historySize < RUNBOOK_HISTORY_BYTES) return;
    await condition(allHandlersFinished); // no approval or update is cut off half-way
    if (this.gates.rollbackRequested) return; // the next step takes the back-out path
    const snapshot = snapshotOf(this, stage);
    snapshot.syncStates = statesWithin(this.syncStates, Object.keys(this.syncStates), PAYLOAD_BUDGET_BYTES - jsonBytes(snapshot) - jsonBytes(this.spec));
    // The continued run gets the spec as validated when the migration started, not again.
    await continueAsNew<(spec: MigrationSpec, resume?: RunbookSnapshot) => Promise<MigrationReport>>(this.spec, snapshot);
  }

  /** A durable timer that a rollback request cuts short (the next step then takes the back-out path). */
  async wait(what: string, ms: number): Promise<void> {
    this.nextTimer = { what, at: new Date(Date.now() + ms).toISOString() };
    this.show();
    await condition(() => !!this.gates.rollbackRequested, ms);
    this.nextTimer = undefined;
  }

  async gate(gate: GateName, wave?: string): Promise<void> {
    await this.step(`waiting for ${gate}${wave ? ` (${wave})` : ''}`);
    await this.waitAtGate(gate, checksSoFar(this), { wave });
    if (this.gates.rollbackRequested) throw new RollbackRequested();
  }

  /**
   * Opens the gate, tells the approvers what it opens and what was checked (or sends
   * `notice`), then waits, reminding them. A notice that cannot be sent never ends the wait: it is logged.
   */
  async waitAtGate(gate: GateName, checks: string, o: GateWaitOptions = {}): Promise<void> {
    // A gate that opens once per wave is named with its wave: approvers see which users it cuts.
    const which = { gate, gateMeaning: GATE_MEANING[gate], ...(o.wave && { wave: o.wave }) };
    const [notice, data] = o.notice ?? ['approver-gate-waiting', { ...which, checks }];
    const announce = () => this.tellApprovers(notice, data);
    const remind = async (_g: GateName, waitedMs: number) => {
      await this.tellApprovers('approver-gate-reminder', { ...which, waitedHours: String(Math.round(waitedMs / HOUR)) });
    };
    await this.gates.pass(gate, this.spec.schedule.remindAfterHours * HOUR, announce, remind, o.endsOnRollback ?? true, o.skippable ?? false);
  }

  private async tellApprovers(notice: NoticeKind, data: Record<string, string>): Promise<void> {
    try {
      await notifyApprovers(this, notice, data);
    } catch (err) {
      this.audit.push({ at: new Date().toISOString(), kind: 'notice-failed', notice, error: failureMessage(err) });
    }
  }

  usersOf(wave?: string): string[] {
    return this.roster.filter((m) => !wave || m.wave === wave).map((m) => m.user);
  }

  /** Whether the wave's final sync ran (a continued run does not cut it over again). */
  finalSyncRan(wave: string): boolean {
    return this.rounds.some((r) => r.kind === 'final' && r.wave === wave);
  }

  get mailboxCount(): number {
    return this.roster.length;
  }

  get waves(): string[] {
    return [...new Set(this.roster.map((m) => m.wave))];
  }

  // ---- the steps, as the scenarios name them; a failing one stops at gate step-failed ----

  preflight = () => withRecovery(this, 'preflight', () => syncRounds.preflight(this));
  provisionHost2 = () => withRecovery(this, 'provision host2', () => provisionHost2(this));
  presyncUntilMigrationHour = () => withRecovery(this, 'pre-sync', () => syncRounds.presyncUntilMigrationHour(this));
  cutAccessAndFinalSync = (wave: string) => withRecovery(this, `cut-over: ${wave}`, () => syncRounds.cutAccessAndFinalSync(this, wave));
  cutAccess = (wave: string) => withRecovery(this, `cut-over: ${wave}`, () => syncRounds.cutAccess(this, wave));
  finalSyncOfWave = (wave: string) => withRecovery(this, `final sync: ${wave}`, () => syncRounds.finalSync(this, wave));
  verifyFinalSync = () => syncRounds.verifyFinalSync(this);
  postSync = () => withRecovery(this, 'post-sync', () => postSyncs.postSync(this));
  postSyncUntilQuiet = () => withRecovery(this, 'post-sync', () => postSyncs.postSyncUntilQuiet(this));
  backfill = () => withRecovery(this, 'back-fill', () => postSyncs.backfill(this));
  backfillUntilComplete = () => postSyncs.backfillUntilComplete(this);
  untilMigrationHour = () => dnsSteps.untilMigrationHour(this);
  lowerTtl = () => withRecovery(this, 'lower TTL', () => dnsSteps.lowerTtl(this));
  switchMx = () => withRecovery(this, 'switch MX', () => dnsSteps.switchMx(this));
  pointMxToHoldingRelay = () => withRecovery(this, 'MX to the holding relay', () => dnsSteps.pointMxToHoldingRelay(this));
  waitTtl = () => dnsSteps.waitTtl(this);
  holdOnRelay = () => withRecovery(this, 'holding relay: hold', () => mailHold.holdOnRelay(this));
  waitForHost1Queue = () => withRecovery(this, "host1's MTA queue", () => mailHold.waitForHost1Queue(this));
  releaseRelayToHost2 = () => withRecovery(this, 'release held mail', () => mailHold.releaseRelayToHost2(this));
  checkRelayEmpty = () => withRecovery(this, 'holding relay empty', () => mailHold.checkRelayEmpty(this));
  checkMailFlow = () => withRecovery(this, 'canary', () => checkMailFlow(this));
  pointImapHost = (step: string, addresses: string[]) => withRecovery(this, step, () => dnsSteps.pointImapHost(this, step, addresses));
  restoreTtl = () => withRecovery(this, 'restore TTL', () => dnsSteps.restoreTtl(this));
  handOverToHost2 = () => withRecovery(this, 'hand-over', () => handOverToHost2(this));
  rollback = () => rollback(this);
  notifyUsers = (notice: NoticeKind, users: string[]) => withRecovery(this, 'notice', () => notifyUsers(this, notice, users));
}

export interface GateWaitOptions {
  /** A rollback request ends the wait (not during a rollback: it must not count as the approval). */
  endsOnRollback?: boolean;
  /** At gate `step-failed`: whether the failed step may be skipped. */
  skippable?: boolean;
  /** The wave a per-wave gate (cutover) opens for. */
  wave?: string;
  /** The notice that opens the wait, instead of `approver-gate-waiting`. */
  notice?: [NoticeKind, Record<string, string>];
}
