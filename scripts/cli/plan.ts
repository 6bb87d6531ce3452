// `mailshift plan <spec>`: what the migration will find and do, changing nothing. It logs
// in to both sides of every mailbox and compares them (the preflight, run here on the
// operator's machine with the spec's credential references), reads the DNS records the
// runbook will change, and lists the steps and timers in order.
import { readRecords } from '../../activities/dns';
import { verifyMailbox } from '../../activities/imap';
import type { SizeAudit, VerifyResult } from '../../activities/imap/types';
import { formatBytes } from '../../workflows/bytes';
import { syncRequest } from '../../workflows/requests';
import type { MigrationSpec } from '../../workflows/spec';
import { EXIT, json, parse, type CliIo } from './io';
import { checkSpecFile } from './spec-file';
import { closesSessions, specWarnings } from './spec-warnings';
import { describeCheck } from './validate';

export const planHelp = `mailshift plan <spec.json|spec.yaml> [--json]

Validates the spec, then, changing nothing: logs in to host1 and host2 for every mailbox
and compares them folder by folder; audits each mailbox's size against host2's quota and
message size limit (as preflight does); reads the DNS records the runbook will change;
lists the steps, gates and timers the migration will run. Exit 0 when every login and DNS
read worked and every mailbox fits on host2, 1 when not (each is named), 2 for a spec with
problems.`;

interface MailboxPlan {
  mailbox: string;
  wave: string;
  ok: boolean;
  error?: string;
  folders?: { source: string; destination: string; messages: number; onHost2: number; missing: number }[];
  messages?: number;
  missing?: number;
  /** The size audit preflight runs: whether the mailbox fits on host2. */
  size?: SizeAudit;
}

/** The size table, one line a mailbox that could be read: what preflight will judge. */
export function sizeTable(mailboxes: { mailbox: string; size?: SizeAudit }[]): string[] {
  const rows = mailboxes
    .filter((m) => m.size)
    .map(({ mailbox, size: a }) => [
      mailbox,
      formatBytes(a!.host1Bytes),
      formatBytes(a!.largest),
      formatBytes(a!.toCopyBytes),
      a!.quota ? formatBytes(Math.max(0, a!.quota.limit - a!.quota.usage)) : 'no quota',
      a!.appendLimit === null ? 'none' : formatBytes(a!.appendLimit),
      a!.fits ? 'fits' : `DOES NOT FIT: ${a!.reasons.join('; ')}`,
    ]);
  const header = ['mailbox', 'host1 size', 'largest', 'to copy', 'host2 quota free', 'append limit', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

const hours = (h: number) => (h % 24 === 0 ? `${h / 24} day(s)` : `${h} h`);

/** The cut-over's access step, and whether it closes the sessions already open on host1. */
function accessCut(spec: MigrationSpec): string {
  const { method } = spec.access;
  if (method === 'dns' || method === 'dovecot-deny-list') {
    return `access cut (${method}; ${closesSessions(spec.access) ? 'open sessions on host1 closed with doveadm kick' : 'sessions already open on host1 stay open: no access.doveadmConfig'})`;
  }
  return `access cut (${method})`;
}

/** The runbook's steps for this spec, in order, with their gates and timers. */
export function plannedSteps(spec: MigrationSpec, ttls: number[], now: Date): string[] {
  const { dns, schedule } = spec;
  const oldTtl = Math.max(0, ...ttls);
  const untilMigration = (Date.parse(schedule.migrationAt) - now.getTime()) / 3_600_000;
  const rounds = Math.max(1, Math.ceil((untilMigration - oldTtl / 3600) / schedule.presyncEveryHours));
  const waves = [...new Set(spec.mailboxes.map((m) => m.wave))];
  const lucky = spec.scenario === 'lucky';
  const gate = (g: string) =>
    spec.approvals.automaticGates.includes(g as never) ? `gate ${g} (automatic)` : `gate ${g}: an approver (${spec.approvals.approvers.join(', ')}) approves`;
  // Provisioning comes first (workflows/provisioning.ts): preflight then logs in to mailboxes that exist.
  const preflight = [
    ...(spec.provisioning ? [`create the mailboxes on host2 (provisioning: ${spec.provisioning.method}; idempotent, empty mailboxes only)`] : []),
    "preflight: log in to every mailbox on both sides, compare folders and counts, check each fits host2's quota and message size limit (else step-failed)",
  ];
  const lowerTtl = `lower the TTL of the MX${lucky ? ' and the IMAP host name' : ''} to ${dns.lowTtl} s, then wait the old TTL (${oldTtl} s)`;
  const prepare = [
    ...preflight,
    gate('start'),
    'notice to users: the move is coming, with the migration hour',
    lowerTtl,
    `pre-sync every mailbox (delete on host2 allowed) every ${hours(schedule.presyncEveryHours)} until ${schedule.migrationAt}: about ${rounds} round(s)`,
  ];
  const switchMx = [
    `switch the MX of ${dns.mx.name} to ${dns.mx.host2.join(', ')}, and wait until the servers answer it`,
    `wait the low TTL (${dns.lowTtl} s)`,
    ...(spec.mailFlow?.canary ? ['send a canary through the MX as DNS answers it; it must reach host2'] : []),
  ];
  const restoreTtl = `restore the TTL to ${dns.restoreTtl ? `${dns.restoreTtl} s` : 'what it was before'}; the report`;
  const newCredentials = 'users get their new credentials (host name, user, where to get the password)';
  if (spec.scenario === 'mx-first') {
    return [
      ...preflight,
      gate('start'),
      'notice to users: from the migration hour new mail arrives on host2, their old mail follows',
      lowerTtl,
      `wait until the migration hour (${schedule.migrationAt})`,
      gate('switch-mx'),
      ...switchMx,
      `${newCredentials}, at once`,
      `back-fill every mailbox from host1 (never deleting on either side) every ${hours(schedule.presyncEveryHours)} until a round copies nothing`,
      `${gate('close-old')}; host1 stays readable until then`,
      restoreTtl,
    ];
  }
  const relay = spec.mailFlow.holdingRelay;
  if (spec.scenario === 'hold-and-release' && relay) {
    return [
      ...prepare,
      `${gate('cutover')} (every wave at once)`,
      ...waves.map((w) => `wave ${w}: users told to stop using host1; ${accessCut(spec)}`),
      `the holding relay holds all mail for ${dns.mx.name.replace(/\.$/, '')}; the MX of ${dns.mx.name} to ${relay.mx.join(', ')}; wait the low TTL (${dns.lowTtl} s)`,
      ...(relay.host1Queue ? ["wait until host1's MTA has nothing pending for the users"] : []),
      'final sync and verification of every mailbox, wave by wave',
      'release the held mail to host2, only once every mailbox is verified with nothing missing',
      ...switchMx,
      newCredentials,
      "the holding relay's queue must be empty (no post-syncs: nothing reached host1 after the final sync)",
      restoreTtl,
    ];
  }
  return [
    ...prepare,
    ...waves.flatMap((w) => [
      ...(lucky && w !== waves[0] ? [] : [`${gate('cutover')}${lucky ? '' : ` (wave ${w})`}`]),
      `wave ${w}: users told to stop using host1; ${accessCut(spec)}; final sync and verification`,
    ]),
    `${gate('switch-mx')}; only after a final sync that left nothing missing`,
    ...switchMx,
    'post-sync the INBOX (max age 1 day; delete on host1 only what host2 has; never delete on host2)',
    ...(lucky
      ? [
          gate('shutdown-old'),
          `move ${dns.imapHost?.name} to ${dns.imapHost?.host2Addresses.join(', ')}; users told their mail app will download its mail again`,
        ]
      : [newCredentials]),
    `post-sync every ${hours(schedule.postsyncEveryHours)} until ${schedule.quietRoundsToFinish} quiet round(s) in a row, or gate done is approved`,
    restoreTtl,
  ];
}

export async function planCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { json: { type: 'boolean' } }, ['spec']);
  if (values.help) {
    io.out(planHelp);
    return EXIT.ok;
  }
  const now = io.now?.() ?? new Date();
  const checked = await checkSpecFile(args[0], now, io.cwd);
  if (!checked.ok) {
    describeCheck(checked, io);
    return EXIT.usage;
  }
  const spec = checked.spec;

  const mailboxes: MailboxPlan[] = [];
  for (const m of spec.mailboxes) {
    try {
      const v: VerifyResult = await verifyMailbox(syncRequest(spec, m, 'presync', { deleteOnDestination: false, deleteOnSource: false }));
      mailboxes.push({
        mailbox: m.source.user,
        wave: m.wave,
        ok: true,
        messages: v.folders.reduce((n, f) => n + f.sourceMessages, 0),
        missing: v.missing,
        ...(v.size && { size: v.size }),
        folders: v.folders.map((f) => ({
          source: f.source.join(' + '),
          destination: f.destinationPath,
          messages: f.sourceMessages,
          onHost2: f.destinationMessages,
          missing: f.missing,
        })),
      });
    } catch (err) {
      mailboxes.push({ mailbox: m.source.user, wave: m.wave, ok: false, error: (err as Error).message });
    }
  }

  const names = [{ name: spec.dns.mx.name, type: 'MX' }, ...(spec.dns.imapHost ? [{ name: spec.dns.imapHost.name, type: 'A' }] : [])];
  const records: { name: string; type: string; ttl?: number; values?: string[]; error?: string }[] = [];
  for (const r of names) {
    try {
      const found = await readRecords({ provider: spec.dns.provider, zone: spec.dns.zone, ...r });
      records.push(found ? { name: r.name, type: r.type, ttl: found.ttl, values: found.values } : { ...r, error: 'no such record in the zone' });
    } catch (err) {
      records.push({ ...r, error: (err as Error).message });
    }
  }
  const steps = plannedSteps(
    spec,
    records.map((r) => r.ttl ?? 0),
    now,
  );
  const tooBig = mailboxes.filter((m) => m.size && !m.size.fits);
  const unread = mailboxes.some((m) => !m.ok) || records.some((r) => r.error);
  const ok = !unread && !tooBig.length;
  const warnings = specWarnings(spec);

  if (values.json) {
    io.out(json({ ok, name: spec.name, scenario: spec.scenario, mailboxes, records, steps, warnings }));
  } else {
    io.out(`plan for "${spec.name}" (${spec.scenario}); nothing was changed\n\nmailboxes:`);
    for (const m of mailboxes) {
      if (!m.ok) io.out(`  ${m.mailbox.padEnd(20)} ${m.wave.padEnd(16)} PROBLEM: ${m.error}`);
      else io.out(`  ${m.mailbox.padEnd(20)} ${m.wave.padEnd(16)} ${m.messages} message(s) in ${m.folders!.length} folder(s), ${m.missing} not yet on host2`);
      for (const f of m.folders ?? []) io.out(`      ${f.source} -> ${f.destination}: ${f.messages} (host2 has ${f.onHost2})`);
    }
    io.out("\nsizes (host1's mail in scope against host2's quota and message size limit; preflight stops on a mailbox that does not fit):");
    for (const line of sizeTable(mailboxes)) io.out(`  ${line}`);
    io.out('\nDNS records the runbook will change:');
    for (const r of records) io.out(`  ${r.name} ${r.type}: ${r.error ? `PROBLEM: ${r.error}` : `${r.values!.join(', ')} (TTL ${r.ttl} s)`}`);
    io.out('\nsteps:');
    steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${s}`));
    for (const w of warnings) io.out(`\nwarning: ${w.path}: ${w.message}`);
    if (tooBig.length) io.err(`\n${tooBig.map((m) => m.mailbox).join(', ')}: does not fit on host2: raise host2's quota before starting`);
    if (unread) io.err('\nsome mailboxes or records could not be read: fix them before starting');
  }
  return ok ? EXIT.ok : EXIT.failed;
}
