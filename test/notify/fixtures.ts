// Example data for every notice kind: what the workflow gives each template.
import type { NoticeData, NoticeKind } from '../../activities/notify/schema';

const help = 'the IT desk: it-desk@example.org or +33 1 23 45 67 89 (8:00-20:00)';
const approverCommon = { migrationName: 'acme-2026', workflowId: 'migration-acme-2026', namespace: 'mail-ops', approvers: ['carol', 'dave'] };

export const noticeFixtures: Record<NoticeKind, NoticeData> = {
  'users-advance': { migrationAt: '2026-12-05T22:00:00+01:00', helpContact: help },
  'users-advance-lucky': { migrationAt: '2026-12-05T22:00:00+01:00', helpContact: help },
  'users-advance-mx-first': { migrationAt: '2026-12-05T22:00:00+01:00', helpContact: help },
  'users-cutover': { expectedDuration: '2 hours', expectedEnd: '2026-12-06T00:00:00+01:00', helpContact: help },
  'users-cutover-early': { expectedDuration: '20 minutes', helpContact: help },
  'users-old-server-gone': { oldServerName: 'mail.old-host.example.org', helpContact: help },
  'users-new-credentials': {
    imapHost: 'imap.example.org',
    imapPort: 993,
    imapSecurity: 'SSL/TLS',
    user: 'alice@example.org',
    passwordInstructions: 'Your IT desk will give you your new password by phone.',
    helpContact: help,
  },
  'users-mail-app-redownload': { waitBeforeCalling: 'one day', helpContact: help },
  'users-done': { helpContact: help },
  'users-rollback': { helpContact: help, mailNote: 'Mail that reached the new server meanwhile was copied back to your mailbox.' },
  'approver-gate-waiting': {
    ...approverCommon,
    gate: 'cutover',
    wave: 'friendly-users',
    checks: ['last pre-sync finished at 21:40 for 250 of 250 mailboxes', 'the final sync should take about 35 minutes'],
  },
  'approver-gate-reminder': { ...approverCommon, gate: 'switch-mx', waitedHours: 4 },
  'approver-rollback-done': {
    ...approverCommon,
    by: 'carol',
    comment: 'host2 quota too small for 3 mailboxes',
    restored: ['MX of example.org back to 10 mx1.old.example.org. (TTL 300)', 'access to host1 re-opened for 250 users'],
  },
  'approver-failure': {
    ...approverCommon,
    step: 'final sync',
    error: 'alice@example.org: host2 refused APPEND (OVERQUOTA)',
    nextSteps: ['the step is retried every 10 minutes', 'to stop: send the "rollback" signal {"by":"<your name>"}'],
  },
};
