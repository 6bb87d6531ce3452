// One migration on the dashboard, from its status alone: what it waits for (the open gate
// with the command that approves it, a failed step, a DNS conflict, the next timer), the
// runbook's steps with the current one, each wave's mailboxes (failures first), the DNS
// records before and now, the pre-sync chart and the audit log.
import type { DnsRecordSet } from '../../workflows/audit';
import type { MailboxState, MigrationStatus } from '../../workflows/status';
import { approveDecisionFlag } from '../../workflows/current-details';
import { heldText, isFailing, throttledText } from '../../workflows/wave-totals';
import { auditLine, duration, MAILBOX_STAGES, mailboxStage, omittedLine } from '../cli/format';
import { presyncChart } from './chart';
import { html, type Html } from './html';
import type { MigrationView } from './migrations';

/** Past this many listed mailboxes that did not fail, a wave says how many more there are. */
const ROWS_PER_WAVE = 100;

/** A word the shell takes as is, else single-quoted: the command is copied into a terminal. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function waiting(v: MigrationView, s: MigrationStatus, now: Date): Html {
  const timer = s.nextTimer;
  const inMs = timer ? Date.parse(timer.at) - now.getTime() : 0;
  return html`<dl class="facts">
    <dt>phase</dt><dd class="phase">${s.phase}${s.paused && html` <span class="badge warn">paused</span>`}</dd>
    <dt>open gate</dt><dd class="gate">${
      s.openGate
        ? html`<strong>${s.openGate}</strong> <code class="approve">mailshift approve ${shellWord(v.workflowId)} ${s.openGate} --by &lt;approver&gt;${approveDecisionFlag(s.openGate)}</code>`
        : 'none'
    }</dd>
    <dt>next timer</dt><dd class="timer">${timer ? `${timer.what} at ${timer.at} (${inMs >= 0 ? `in ${duration(inMs)}` : `${duration(inMs)} ago`})` : 'none'}</dd>
    <dt>final sync</dt><dd class="estimate">${s.finalSyncEstimateMs !== undefined ? `about ${duration(s.finalSyncEstimateMs)} (the last pre-sync's duration)` : 'no estimate yet (no pre-sync has run)'}</dd>
  </dl>
  ${s.failure && html`<p class="alert failure">Step <strong>${s.failure.step}</strong> failed: ${s.failure.error}. Already changed: ${s.failure.changed.join('; ') || 'nothing'}. Choose: ${s.failure.choices}.</p>`}
  ${s.conflict && html`<p class="alert conflict">${s.conflict}</p>`}`;
}

function timeline(s: MigrationStatus): Html {
  const items = s.steps.map((label, i) => {
    const state = i < s.currentStep ? 'done' : i === s.currentStep ? 'current' : 'todo';
    return html`<li class="${state}"${i === s.currentStep && html` aria-current="step"`}>${label}${i === s.currentStep && html` <span class="muted">— ${s.phase}</span>`}</li>`;
  });
  return html`<ol class="timeline">${items}</ol>`;
}

function mailboxRow(user: string, m: MailboxState, s: MigrationStatus): Html {
  const stage = MAILBOX_STAGES[mailboxStage(s, user) - 1] ?? 'waiting';
  const last = m.last;
  return html`<tr class="${isFailing(m) ? 'failed' : ''}">
    <td class="mailbox">${user}</td>
    <td>${stage}${m.usersOnHost2 && ' (users on host2)'}</td>
    <td>${last ? `${last.kind} ${last.ok ? 'ok' : 'FAILED'}` : 'no round yet'}</td>
    <td class="num">${last?.copied ?? ''}</td>
    <td class="num">${last?.missing || ''}</td>
    <td class="error">${last?.error}${m.ownMailOnHost2 ? ` host2 holds ${m.ownMailOnHost2} message(s) of the user's own, never deleted.` : ''}${m.size?.doesNotFit ? ` Does not fit on host2: ${m.size.doesNotFit}.` : ''}</td>
  </tr>`;
}

function waves(s: MigrationStatus): Html {
  const listed = Object.entries(s.mailboxes);
  return html`${s.waves.map((w) => {
    // The status lists a bounded few, the failing first: failures, then up to ROWS_PER_WAVE others.
    const inWave = listed.filter(([, m]) => m.wave === w.wave);
    const failures = inWave.filter(([, m]) => isFailing(m));
    const others = inWave.filter(([, m]) => !isFailing(m)).slice(0, ROWS_PER_WAVE);
    const notShown = w.mailboxes - failures.length - others.length;
    const counts =
      [`${w.synced} synced`, w.cut > 0 && `${w.cut} cut from host1`, w.onHost2 > 0 && `${w.onHost2} on host2`].filter(Boolean).join(', ') +
      throttledText(w) +
      heldText(s.mailHold?.[w.wave]);
    return html`<section class="wave">
      <h3>wave ${w.wave} <span class="muted">${w.mailboxes} mailbox(es): ${counts}${w.failed > 0 && html`, <span class="bad">${w.failed} failed</span>`}</span></h3>
      <table>
        <thead><tr><th>mailbox</th><th>state</th><th>last round</th><th class="num">copied</th><th class="num">missing</th><th>error</th></tr></thead>
        <tbody>${[...failures, ...others].map(([user, m]) => mailboxRow(user, m, s))}</tbody>
      </table>
      ${notShown > 0 && html`<p class="muted">… and ${notShown} more not listed (mailshift mailbox ${'<id>'} ${'<user>'} shows one).</p>`}
    </section>`;
  })}`;
}

const recordText = (r: DnsRecordSet | undefined) => (r ? `TTL ${r.ttl}: ${r.values.join(', ')}` : '(none)');

function dnsTable(s: MigrationStatus): Html {
  const key = (r: DnsRecordSet) => `${r.name} ${r.type}`;
  const names = [...new Set([...s.dns.before, ...s.dns.now].map(key))];
  if (!names.length) return html`<p class="muted">Not read yet: the runbook reads the records when it lowers the TTLs.</p>`;
  const rows = names.map((name) => {
    const before = s.dns.before.find((r) => key(r) === name);
    const now = s.dns.now.find((r) => key(r) === name);
    const changed = recordText(before) !== recordText(now);
    return html`<tr class="${changed ? 'changed' : ''}"><td>${name}</td><td>${recordText(before)}</td><td>${recordText(now)}</td></tr>`;
  });
  return html`<table class="dns"><thead><tr><th>record</th><th>before the migration</th><th>now</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function auditLog(s: MigrationStatus): Html {
  return html`<ol class="audit" reversed>${[...s.audit].reverse().map((e) => html`<li class="${e.kind}">${auditLine(e)}</li>`)}</ol>
    ${s.auditOmitted && html`<p class="muted">${omittedLine(s.auditOmitted)}</p>`}`;
}

/** `uiLink`: the workflow's page in the Temporal Web UI. */
export function migrationSection(v: MigrationView, now: Date, uiLink: (workflowId: string) => string): Html {
  const s = v.status;
  const title = html`<h2>${s ? `${s.name} (${s.scenario})` : v.workflowType} <a class="muted" href="${uiLink(v.workflowId)}">workflow ${v.workflowId}</a></h2>`;
  if (!s) return html`<section class="migration" data-workflow-id="${v.workflowId}">${title}<p class="alert failure">${v.error}</p></section>`;
  return html`<section class="migration" data-workflow-id="${v.workflowId}">
    ${title}
    ${waiting(v, s, now)}
    <div class="columns">
      <div><h3>Runbook</h3>${timeline(s)}</div>
      <div><h3>Pre-sync rounds</h3>${presyncChart(s.rounds, s.finalSyncEstimateMs)}<h3>DNS records</h3>${dnsTable(s)}</div>
    </div>
    <h3>Mailboxes, failures first</h3>
    ${waves(s)}
    <h3>Audit log <span class="muted">newest first</span></h3>
    ${auditLog(s)}
  </section>`;
}
