// The migration's fixed summary in the Temporal Web UI (its "Summary"), given when it
// starts: by `mailshift start`, and printed by the sandbox for the UI's Start Workflow
// form (More options → Summary), which has no link parameter for it.
import type { MigrationSpec } from '../../workflows/spec';

type SummarySpec = Pick<MigrationSpec, 'name' | 'scenario'> & {
  mailboxes: { wave?: string }[];
  schedule: { migrationAt: string };
};

export function migrationSummary(spec: SummarySpec): string {
  const n = spec.mailboxes.length;
  const waves = new Set(spec.mailboxes.map((m) => m.wave ?? 'main')).size;
  const mailboxes = `${n} mailbox${n === 1 ? '' : 'es'}${waves > 1 ? ` in ${waves} waves` : ''}`;
  return `${spec.name}: ${spec.scenario} migration of ${mailboxes}, migration hour ${spec.schedule.migrationAt}`;
}
