// How the CLI shows a migration to a person: the status screen (phase, open gate,
// timers, a progress bar per mailbox, the final-sync estimate, the recent audit log) and
// the final report as Markdown.
import { approveDecisionFlag } from '../../workflows/current-details';
import { heldText, throttledText } from '../../workflows/wave-totals';
import type { AuditEntry } from '../../workflows/audit';
import { entriesWritten, type AuditOmitted } from '../../workflows/audit-log';
import { failedCount, type MailboxState, type MigrationReport, type MigrationStatus, type RoundSummary } from '../../workflows/status';

/** 3 d 4 h, 2 h 05 min, 12 min, 45 s, 800 ms. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (Math.abs(ms) < 1000) return `${Math.round(Math.abs(ms))} ms`;
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `[####------]` for done/total. */
export function bar(done: number, total: number, width = 10): string {
  const n = total > 0 ? Math.max(0, Math.min(width, Math.round((done / total) * width))) : 0;
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
}

/** A mailbox's way through the runbook, in order: what its progress bar counts. */
export const MAILBOX_STAGES = ['preflight', 'pre-synced', 'final-synced', 'on host2', 'post-synced'] as const;

const roundIncludes = (r: RoundSummary, wave: string) => !r.wave || r.wave === wave;

/** How many of MAILBOX_STAGES a mailbox has passed, from the rounds it took part in without failing. */
export function mailboxStage(status: MigrationStatus, user: string): number {
  const m = status.mailboxes[user];
  if (!m) return 0;
  let stage = 0;
  for (const r of status.rounds) {
    if (!roundIncludes(r, m.wave) || r.failed.includes(user)) continue;
    // mx-first's back-fill brings host2 its old mail after the hand-over: the last stage, as a post-sync.
    const reached = { verify: 1, presync: 2, final: 3, postsync: m.usersOnHost2 ? 5 : 3, reverse: 0, backfill: 5 }[r.kind] ?? 0;
    stage = Math.max(stage, reached);
  }
  if (m.usersOnHost2) stage = Math.max(stage, 4);
  return stage;
}

export function auditLine(e: AuditEntry): string {
  const at = e.at.replace(/\.\d{3}Z$/, 'Z');
  const comment = (c?: string) => (c ? `: "${c}"` : '');
  switch (e.kind) {
    case 'approval':
      return `${at}  approval   gate ${e.gate}${e.decision ? ` (${e.decision})` : ''} by ${e.by} (${e.via})${comment(e.comment)}`;
    case 'refused':
      return `${at}  REFUSED    ${e.what} by ${e.by} (${e.via}): ${e.reason}`;
    case 'dns': {
      const rr = (r: { name: string; type: string; ttl: number; values: string[] } | null) =>
        r ? `${r.name} ${r.type} ttl ${r.ttl} ${r.values.join(', ')}` : '(none)';
      return `${at}  dns        ${e.step}: ${e.before.map(rr).join('; ')} -> ${e.after.map(rr).join('; ')}`;
    }
    case 'access':
      return `${at}  access     ${e.step}${e.wave ? ` (${e.wave})` : ''} for ${e.users.length} user(s): ${e.users.slice(0, 5).join(', ')}${e.users.length > 5 ? ', …' : ''}`;
    case 'destructive-sync':
      return `${at}  deletes    ${e.round}: ${e.deleted} deleted on ${e.deleteOnSource ? 'host1 (source)' : 'host2 (destination)'}`;
    case 'control':
      return `${at}  ${e.action.padEnd(10)} by ${e.by}${comment(e.comment)}`;
    case 'notice':
      return `${at}  notice     ${e.notice} to ${e.to} recipient(s)`;
    case 'notice-failed':
      return `${at}  NOT SENT   ${e.notice}: ${e.error}`;
    case 'step-failed':
      return `${at}  FAILED     ${e.step}: ${e.error} (already changed: ${e.changed.join('; ') || 'nothing'})`;
    case 'canary':
      return `${at}  canary     ${e.outcome}: ${e.finding}`;
    case 'mail-hold':
      return `${at}  mail hold  ${e.step} (${e.wave}): ${e.users.length} user(s), ${e.held} message(s) held`;
    case 'own-mail-on-host2':
      return `${at}  own mail   ${e.mailbox}: ${e.messages} message(s) on host2 not from host1, never deleted`;
    default:
      return `${(e as { at: string }).at}  ${JSON.stringify(e)}`;
  }
}

/** What the bounded audit log left out (workflows/audit-log.ts). */
export function omittedLine(o: AuditOmitted): string {
  const kinds = Object.entries(o.kinds)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `(${o.entries} entries written between ${o.from} and ${o.until} are left out of the log to keep it small: ${kinds})`;
}

/** A wave's mail hold on host1's MTA (spec mailFlow.hold), when it had one. */
const roundLine = (r: RoundSummary, total: number) =>
  `${r.kind}${r.wave ? ` (${r.wave})` : ''}: ${r.mailboxes - failedCount(r)}/${r.mailboxes} mailboxes ok ${bar(r.mailboxes - failedCount(r), total)}, ` +
  `${r.copied} copied, ${r.deleted} deleted, took ${duration(r.durationMs)}${r.failed.length ? `; FAILED: ${failedNames(r)}` : ''}`;

/** The round's failed mailboxes as named, and how many more failed. */
const failedNames = (r: RoundSummary) => r.failed.join(', ') + (failedCount(r) > r.failed.length ? ` and ${failedCount(r) - r.failed.length} more` : '');

/**
 * What a mailbox's last round counted. Preflight copies nothing: what host2 lacks then is
 * simply not copied yet. After a sync, a message missing on host2 is an alarm.
 */
export function lastCounts(last: NonNullable<MailboxState['last']>): string {
  if (last.kind === 'verify') return last.missing ? `${last.missing} not copied yet` : 'nothing to copy';
  return `${last.copied} copied${last.missing ? `, ${last.missing} MISSING` : ''}`;
}

export interface StatusView {
  workflowId: string;
  /** The workflow execution's status: RUNNING, COMPLETED, FAILED… */
  execution: string;
  status: MigrationStatus;
}

/** The `mailshift status` screen. `now` gives the next timer's "in …". */
export function renderStatus(v: StatusView, now: Date, auditCount = 8): string {
  const s = v.status;
  const users = Object.keys(s.mailboxes);
  const total = users.length + (s.mailboxesOmitted ?? 0);
  const lines = [
    `migration ${s.name} (${s.scenario}), workflow ${v.workflowId}: ${v.execution}`,
    `phase:       ${s.phase}${s.paused ? ' (PAUSED)' : ''}`,
    `open gate:   ${s.openGate ? `${s.openGate}  -> mailshift approve ${v.workflowId} ${s.openGate} --by <approver>${approveDecisionFlag(s.openGate)}` : 'none'}`,
    `paused:      ${s.paused ? `yes  -> mailshift resume ${v.workflowId} --by <approver>` : 'no'}`,
    `next timer:  ${s.nextTimer ? `${s.nextTimer.what} at ${s.nextTimer.at} (${Date.parse(s.nextTimer.at) >= now.getTime() ? 'in ' : ''}${duration(Date.parse(s.nextTimer.at) - now.getTime())}${Date.parse(s.nextTimer.at) < now.getTime() ? ' ago' : ''})` : 'none'}`,
    `last round:  ${s.rounds.length ? roundLine(s.rounds.at(-1)!, total) : 'none yet'}`,
    `final sync:  ${s.finalSyncEstimateMs !== undefined ? `about ${duration(s.finalSyncEstimateMs)} (the last pre-sync's duration)` : 'no estimate yet (no pre-sync has run)'}`,
    '',
    ...s.waves.map(
      (w) =>
        `wave ${w.wave}: ${w.mailboxes} mailbox(es), ${w.synced} synced, ${w.failed} failed, ${w.cut} cut from host1, ${w.onHost2} on host2` +
        throttledText(w) +
        heldText(s.mailHold?.[w.wave]),
    ),
    '',
    `mailboxes (${total}${s.mailboxesOmitted ? `; ${users.length} listed, failing first` : ''}), progress through: ${MAILBOX_STAGES.join(' > ')}`,
  ];
  const width = Math.min(40, Math.max(8, ...users.map((u) => u.length)));
  const waveWidth = Math.min(24, Math.max(4, ...users.map((u) => s.mailboxes[u].wave.length)));
  for (const u of users) {
    const m = s.mailboxes[u];
    const stage = mailboxStage(s, u);
    const last = m.last
      ? `last ${m.last.kind} ${m.last.ok ? 'ok' : 'FAILED'}, ${lastCounts(m.last)}${m.last.error ? `: ${m.last.error}` : ''}`
      : 'no round yet';
    const throttled = m.throttledUntil ? `  THROTTLED until ${m.throttledUntil}: ${m.throttleReason}` : '';
    lines.push(
      `  ${u.padEnd(width)}  ${bar(stage, MAILBOX_STAGES.length, MAILBOX_STAGES.length)} ${(MAILBOX_STAGES[stage - 1] ?? 'waiting').padEnd(12)}  ${m.wave.padEnd(waveWidth)}  ${last}${throttled}`,
    );
  }
  if (s.mailboxesOmitted) lines.push(`  … and ${s.mailboxesOmitted} more: mailshift mailbox ${v.workflowId} <user>`);
  const audit = s.audit.slice(-auditCount);
  lines.push('', `audit log (last ${audit.length} of ${entriesWritten(s)}):`);
  if (s.auditOmitted) lines.push(`  ${omittedLine(s.auditOmitted)}`);
  lines.push(...(audit.length ? audit.map((e) => `  ${auditLine(e)}`) : ['  (empty)']));
  return lines.join('\n');
}

const cell = (v: unknown) =>
  String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
const table = (head: string[], rows: unknown[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** The final report as Markdown: outcome, rounds, mailboxes, DNS changes, approvals, the whole audit log. */
export function renderReport(workflowId: string, r: MigrationReport): string {
  const users = Object.keys(r.mailboxes);
  const dns = r.audit.filter((e): e is Extract<AuditEntry, { kind: 'dns' }> => e.kind === 'dns');
  const approvals = r.audit.filter((e) => e.kind === 'approval' || e.kind === 'refused' || e.kind === 'control');
  const rr = (x: { ttl: number; values: string[] } | null) => (x ? `ttl ${x.ttl}: ${x.values.join(', ')}` : '(none)');
  return [
    `# Migration ${r.name}: ${r.outcome}`,
    '',
    `- workflow: \`${workflowId}\``,
    `- scenario: ${r.scenario}`,
    `- outcome: **${r.outcome}** (final phase: ${r.phase})`,
    `- mailboxes: ${users.length}, on host2: ${users.filter((u) => r.mailboxes[u].usersOnHost2).length}`,
    `- final sync estimate (last pre-sync): ${r.finalSyncEstimateMs !== undefined ? duration(r.finalSyncEstimateMs) : 'n/a'}`,
    '',
    '## Rounds',
    '',
    r.rounds.length
      ? table(
          ['round', 'wave', 'started', 'duration', 'ok', 'copied', 'deleted', 'failed'],
          r.rounds.map((x) => [
            x.kind,
            x.wave ?? 'all',
            x.startedAt,
            duration(x.durationMs),
            `${x.mailboxes - failedCount(x)}/${x.mailboxes}`,
            x.copied,
            x.deleted,
            failedNames(x),
          ]),
        )
      : 'No round ran.',
    '',
    '## Mailboxes',
    '',
    table(
      ['mailbox', 'wave', 'progress', 'last round', 'ok', 'copied', 'missing', 'cut from host1', 'on host2'],
      users.map((u) => {
        const m = r.mailboxes[u];
        return [
          u,
          m.wave,
          MAILBOX_STAGES[mailboxStage(r, u) - 1] ?? 'waiting',
          m.last?.kind ?? '',
          m.last ? (m.last.ok ? 'yes' : `no${m.last.error ? `: ${m.last.error}` : ''}`) : '',
          m.last?.copied ?? '',
          m.last?.missing ?? '',
          m.accessCut ? 'yes' : 'no',
          m.usersOnHost2 ? 'yes' : 'no',
        ];
      }),
    ),
    '',
    '## DNS changes',
    '',
    dns.length
      ? table(
          ['at', 'step', 'name', 'before', 'after'],
          dns.map((e) => [e.at, e.step, e.after[0]?.name ?? e.before[0]?.name ?? '', rr(e.before[0]), rr(e.after[0])]),
        )
      : 'No DNS change.',
    '',
    '## Approvals and controls',
    '',
    approvals.length ? approvals.map((e) => `- ${auditLine(e)}`).join('\n') : 'None.',
    '',
    '## Audit log',
    '',
    r.audit.length ? r.audit.map((e) => `- ${auditLine(e)}`).join('\n') : 'Empty.',
    ...(r.auditOmitted ? ['', omittedLine(r.auditOmitted)] : []),
    '',
  ].join('\n');
}
