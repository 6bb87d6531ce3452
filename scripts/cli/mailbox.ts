// `mailshift mailbox <id> <user>`: one mailbox of a migration, however many it has (the
// status lists a bounded few, the failing first): the workflow's `mailbox` query.
import { mailboxQuery } from '../../workflows/status';
import { formatBytes } from '../../workflows/bytes';
import type { MailboxSize } from '../../workflows/mailbox-round';
import { lastCounts } from './format';
import { EXIT, json, parse, type CliIo } from './io';
import { seconds } from './status';
import { withTimeout, withWorkflow } from './temporal';

export const mailboxHelp = `mailshift mailbox <workflowId> <user> [--json] [--timeout <seconds>]

Shows one mailbox of the migration by its host1 user: its wave, whether it was synced,
its users' access and host2 state, and its last round with the error if it failed.
Exit 1 when the migration has no such mailbox (or the workflow does not exist);
exit 4 when no worker answers in --timeout seconds (default 20).`;

/** Preflight's size audit, one line: host1's size, what is left to copy, host2's room. */
export function sizeLine(s: MailboxSize): string {
  const room = [
    s.quotaFree !== undefined ? `host2 quota leaves ${formatBytes(s.quotaFree)}` : 'no quota on host2',
    ...(s.appendLimit !== undefined ? [`host2 accepts messages up to ${formatBytes(s.appendLimit)}`] : []),
  ];
  const verdict = s.doesNotFit ? `DOES NOT FIT: ${s.doesNotFit}` : 'fits';
  return `${formatBytes(s.host1Bytes)} on host1 (largest message ${formatBytes(s.largest)}), ${formatBytes(s.toCopyBytes)} to copy; ${room.join(', ')}; ${verdict}`;
}

export async function mailboxCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { json: { type: 'boolean' }, timeout: { type: 'string' } }, ['workflowId', 'user']);
  if (values.help) {
    io.out(mailboxHelp);
    return EXIT.ok;
  }
  const [workflowId, user] = args;
  const timeout = seconds(values.timeout, 20);
  return withWorkflow(io, workflowId, async (t) => {
    const m = await withTimeout(t, timeout, () => t.client.workflow.getHandle(workflowId).query(mailboxQuery, user));
    if (!m) {
      io.err(`migration ${workflowId} has no mailbox of host1 user "${user}"`);
      return EXIT.failed;
    }
    if (values.json) io.out(json(m));
    else {
      const last = m.last ? `${m.last.kind} ${m.last.ok ? 'ok' : 'FAILED'}, ${lastCounts(m.last)}${m.last.error ? `: ${m.last.error}` : ''}` : 'no round yet';
      io.out(
        [
          `mailbox ${m.mailbox} (wave ${m.wave}) of ${workflowId}`,
          `synced:      ${m.synced ? `yes${m.syncedFrom ? `, last from ${m.syncedFrom}` : ''}` : 'not yet'}`,
          `access:      ${m.accessCut ? 'cut from host1' : 'open on host1'}`,
          `final sync:  ${m.finalSyncFrom ? `verified, started ${m.finalSyncFrom}` : 'not yet'}`,
          `on host2:    ${m.usersOnHost2 ? 'yes: the user was given host2' : 'not yet'}${m.ownMailOnHost2 ? `; host2 holds ${m.ownMailOnHost2} message(s) of the user's own (never deleted)` : ''}`,
          ...(m.size ? [`size:        ${sizeLine(m.size)}`] : []),
          `last round:  ${last}`,
        ].join('\n'),
      );
    }
    return EXIT.ok;
  });
}
