// Approval gates and the operator's controls. Approvers send `approve` as a Signal (the
// Temporal UI's Signal dialog: one JSON object) or as an Update (the CLI: an immediate
// yes/no). Only the open gate can be approved, only by an allowed approver; anything
// else is refused, never silently taken. An Update's validator rejects oversized input
// before acceptance: such a rejection never reaches history, which is what keeps it from
// terminating the workflow, and so it cannot be written to the audit log either.
// Everything else (malformed input, a wrong gate, an unknown approver) is refused by the
// handler (control-input.ts), which records it in the audit log, Signal or Update alike.
import { ApplicationFailure, condition, defineSignal, defineUpdate, log, setDefaultSignalHandler, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AuditEntry } from './audit';
import { checkControlInput, RefusedError, type ControlAction } from './control-input';
import type { GateName } from './spec';
import { jsonBytes } from './payload-budget';
import { SampledWarnings } from './sampled-warnings';
import { clip, NAME_MAX_CHARS, TEXT_MAX_CHARS } from './text-bounds';

export interface Approval {
  gate: GateName;
  by: string;
  comment?: string;
  /** At gate `step-failed`: run the failed step again, or go on without it (where the rules allow). At gate `canary`: `retry` sends a new canary. */
  decision?: FailureDecision;
}
export type FailureDecision = 'retry' | 'skip';
export interface ControlRequest {
  by: string;
  comment?: string;
}
export interface ControlAnswer {
  accepted: true;
  message: string;
}

export const approveSignal = defineSignal<[Approval]>('approve');
export const approveUpdate = defineUpdate<ControlAnswer, [Approval]>('approve');
export const rollbackSignal = defineSignal<[ControlRequest]>('rollback');
export const rollbackUpdate = defineUpdate<ControlAnswer, [ControlRequest]>('rollback');
export const pauseSignal = defineSignal<[ControlRequest]>('pause');
export const resumeSignal = defineSignal<[ControlRequest]>('resume');

/** The signals the runbook takes, as a refusal of any other name lists them: "approve, …, pause or resume". */
const SIGNAL_NAMES = [approveSignal, rollbackSignal, pauseSignal, resumeSignal]
  .map((s) => s.name)
  .join(', ')
  .replace(/, (?=[^,]*$)/, ' or ');

/** Thrown between steps once a rollback is requested: the scenario takes the back-out path. */
export class RollbackRequested extends Error {}

/** Larger than any request within the fields' limits (even every character escaped): refused unread. */
const UPDATE_MAX_BYTES = 32 * 1024;

/**
 * An Update's validator: oversized input is refused before the Update is accepted, so it
 * never reaches history (its acceptance would terminate the workflow); the sender is told
 * which field is too long, and not to retry. Anything smaller is accepted and judged by
 * the handler, which writes a refusal to the audit log.
 */
function validate(action: ControlAction, args: unknown[]): void {
  const bytes = jsonBytes(args);
  if (bytes <= UPDATE_MAX_BYTES) return;
  let reason = `the request is ${bytes} bytes, at most ${UPDATE_MAX_BYTES}`;
  try {
    checkControlInput(action, args);
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    reason = err.message;
  }
  log.warn('refused update', { workflowId: workflowInfo().workflowId, what: action, reason });
  throw ApplicationFailure.nonRetryable(reason, 'Refused');
}

export interface GateOptions {
  approvers: string[];
  automaticGates: GateName[];
  /** Appends to the runbook's audit log. */
  audit: (entry: AuditEntry) => void;
  /** Whether rollback is still possible, and why not when it is not. */
  rollbackRefusal: () => string | undefined;
  /** Called when the open gate changes (search attribute, UI details). */
  onChange: () => void;
}

const now = () => new Date().toISOString();

export class Gates {
  openGate: GateName | undefined;
  paused = false;
  rollbackRequested: ControlRequest | undefined;
  private approved = new Set<GateName>();
  /** The decision taken at gate `step-failed` (or `canary`), and whether the failed step may be skipped. */
  decision: FailureDecision | undefined;
  private skippable = false;
  private readonly refusalLog = new SampledWarnings('refusalsSoFar');

  constructor(private readonly o: GateOptions) {
    setHandler(approveSignal, (a) => this.viaSignal('approve', a, () => this.approve(a, 'signal')), {
      description: 'Approve the open gate: {"gate":"cutover","by":"<approver>","comment":"…"}',
    });
    setHandler(approveUpdate, (a) => this.viaUpdate('approve', a, () => this.approve(a, 'update')), {
      validator: (...args: unknown[]) => validate('approve', args),
      description: 'Approve the open gate, answering at once whether it was taken',
    });
    setHandler(rollbackSignal, (r) => this.viaSignal('rollback', r, () => this.rollback(r)), {
      description: 'Roll back before the point of no return: {"by":"<approver>","comment":"why"}',
    });
    setHandler(rollbackUpdate, (r) => this.viaUpdate('rollback', r, () => this.rollback(r)), {
      validator: (...args: unknown[]) => validate('rollback', args),
      description: 'Roll back before the point of no return, answering at once',
    });
    setHandler(pauseSignal, (r) => this.viaSignal('pause', r, () => this.setPaused(true, r)), {
      description: 'Pause before the next step: {"by":"<approver>"}',
    });
    setHandler(resumeSignal, (r) => this.viaSignal('resume', r, () => this.setPaused(false, r)), {
      description: 'Resume a paused migration: {"by":"<approver>"}',
    });
    // Any other name (a typo such as `Approve`) is refused and written to the audit log;
    // of its payload only a string `by` is kept. Set after every named handler. With a
    // default handler set, a signal named `__temporal_…` would fail every workflow task
    // (SDK 1.24): the interceptor in reserved-signals.ts drops those before they get here.
    setDefaultSignalHandler((name, ...args) => {
      const what = clip(name, NAME_MAX_CHARS);
      this.recordRefusal(what, args[0], `unknown signal "${what}": send ${SIGNAL_NAMES}`, 'signal');
    });
  }

  /**
   * Opens the gate, then announces it (an approval may come while the notice is sent),
   * and waits for its approval (or passes an automatic gate), reminding on a cadence.
   * A rollback request ends the wait too, unless `endsOnRollback` is false.
   */
  async pass(
    gate: GateName,
    remindAfterMs: number,
    announce: () => Promise<void>,
    remind: (gate: GateName, waitedMs: number) => Promise<void>,
    endsOnRollback = true,
    skippable = false,
  ): Promise<void> {
    this.skippable = skippable;
    this.open(gate);
    const opened = Date.now();
    if (!this.isApproved(gate)) await announce();
    while (!(await condition(() => this.isApproved(gate) || (endsOnRollback && !!this.rollbackRequested), remindAfterMs))) {
      await remind(gate, Date.now() - opened);
    }
    this.close();
  }

  /** Opens a gate without waiting on it (e.g. `done` ends the post-syncs when approved). */
  open(gate: GateName): void {
    if (this.o.automaticGates.includes(gate)) {
      this.approved.add(gate);
      this.o.audit({ at: now(), kind: 'approval', gate, by: 'spec', via: 'automatic' });
      return;
    }
    // A gate that opens again (cutover, once per wave) needs a new approval each time.
    this.approved.delete(gate);
    this.openGate = gate;
    this.o.onChange();
  }

  close(): void {
    this.openGate = undefined;
    this.o.onChange();
  }

  isApproved(gate: GateName): boolean {
    return this.approved.has(gate);
  }

  /** Holds the runbook between steps while an approver has paused it. */
  async whilePaused(): Promise<void> {
    await condition(() => !this.paused || !!this.rollbackRequested);
  }

  checkApproval(a: Approval): void {
    checkControlInput('approve', [a]);
    this.checkApprover(a.by);
    if (typeof a.gate !== 'string' || !a.gate) throw new RefusedError('the approval names no gate');
    if (a.gate !== this.openGate) {
      throw new RefusedError(
        this.openGate ? `gate "${a.gate}" is not open; the open gate is "${this.openGate}"` : `gate "${a.gate}" is not open; no gate is open now`,
      );
    }
    if (a.gate === 'step-failed') {
      if (a.decision !== 'retry' && a.decision !== 'skip') {
        throw new RefusedError('gate "step-failed" needs a "decision": "retry" (run the step again) or "skip" (where allowed); to roll back, send rollback');
      }
      if (a.decision === 'skip' && !this.skippable)
        throw new RefusedError('the failed step cannot be skipped (the phase rules forbid it): retry it or roll back');
    } else if (a.gate === 'canary') {
      if (a.decision !== undefined && a.decision !== 'retry') {
        throw new RefusedError('gate "canary" takes "decision": "retry" (send a new canary), or no decision (go on as if it had arrived)');
      }
    } else if (a.decision !== undefined) {
      throw new RefusedError(`"decision" is only for gates "step-failed" and "canary"`);
    }
  }

  private checkApprover(by: unknown): void {
    if (typeof by !== 'string' || !by.trim()) throw new RefusedError('"by" must name the approver');
    if (!this.o.approvers.includes(by.trim())) throw new RefusedError(`"${by}" is not an allowed approver of this migration`);
  }

  private checkControl(action: 'rollback' | 'pause' | 'resume', r: ControlRequest): void {
    checkControlInput(action, [r]);
    this.checkApprover(r.by);
    if (action === 'rollback') {
      const refusal = this.o.rollbackRefusal();
      if (refusal) throw new RefusedError(`rollback refused: ${refusal}`);
      if (this.rollbackRequested) throw new RefusedError('a rollback is already under way');
    }
  }

  private approve(a: Approval, via: 'signal' | 'update'): ControlAnswer {
    this.checkApproval(a); // here, not in an update's validator: a refusal is recorded
    this.approved.add(a.gate);
    if (a.gate === 'step-failed' || a.gate === 'canary') this.decision = a.decision;
    this.o.audit({ at: now(), kind: 'approval', gate: a.gate, by: a.by.trim(), comment: a.comment, via, ...(a.decision && { decision: a.decision }) });
    return { accepted: true, message: `gate "${a.gate}" approved by ${a.by.trim()}` };
  }

  private rollback(r: ControlRequest): ControlAnswer {
    this.checkControl('rollback', r);
    this.rollbackRequested = r;
    this.o.audit({ at: now(), kind: 'control', action: 'rollback', by: r.by.trim(), comment: r.comment });
    return { accepted: true, message: 'rollback started: DNS is restored, host1 re-opened and users told' };
  }

  private setPaused(paused: boolean, r: ControlRequest): ControlAnswer {
    this.checkControl(paused ? 'pause' : 'resume', r);
    this.paused = paused;
    this.o.audit({ at: now(), kind: 'control', action: paused ? 'pause' : 'resume', by: r.by.trim(), comment: r.comment });
    this.o.onChange();
    return { accepted: true, message: paused ? 'paused before the next step' : 'resumed' };
  }

  /** A refused signal cannot answer its sender: it is recorded and logged instead. */
  private viaSignal(what: string, payload: unknown, act: () => unknown): void {
    try {
      act();
    } catch (err) {
      if (!(err instanceof RefusedError)) throw err;
      this.recordRefusal(what, payload, err.message, 'signal');
    }
  }

  /** A refused update is recorded too, then answered: refused, not to be retried. */
  private viaUpdate(what: ControlAction, payload: unknown, act: () => ControlAnswer): ControlAnswer {
    try {
      return act();
    } catch (err) {
      if (!(err instanceof RefusedError)) throw err;
      this.recordRefusal(what, payload, err.message, 'update');
      throw ApplicationFailure.nonRetryable(err.message, 'Refused');
    }
  }

  /**
   * Writes a refusal to the audit log and the worker's log, clipped: anyone can send one.
   * The worker's log takes a sample of them (sampled-warnings.ts).
   */
  private recordRefusal(name: string, payload: unknown, message: string, via: 'signal' | 'update'): void {
    const what = clip(name, NAME_MAX_CHARS);
    const sender = (payload as { by?: unknown } | undefined)?.by;
    const by = typeof sender === 'string' ? clip(sender, NAME_MAX_CHARS) : '(unknown)';
    const reason = clip(message, TEXT_MAX_CHARS);
    this.o.audit({ at: now(), kind: 'refused', what, by, reason, via });
    this.refusalLog.warn(`refused ${via}`, { workflowId: workflowInfo().workflowId, what, by, reason });
  }
}
