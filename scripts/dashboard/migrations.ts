// What the dashboard shows, read through Temporal only: the workflow list says which
// migrations run; each one's `status` query says everything else (no second source of truth).
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { causeOf, withTimeout, type Temporal } from '../cli/temporal';
import { waveTotals } from '../../workflows/wave-totals';

/** The workflow types of the two scenarios (scripts/cli/spec-file.ts workflowTypeOf). */
export const RUNNING_MIGRATIONS = "WorkflowType IN ('classicalMigration', 'luckyMigration') AND ExecutionStatus = 'Running'";

/** At most this many migrations on one page: each costs a query per refresh. */
const MAX_MIGRATIONS = 50;

/** What a worker of an earlier release leaves out of its answer (mid-upgrade): shown as nothing known yet. */
const NOT_ANSWERED_BEFORE: Pick<MigrationStatus, 'steps' | 'currentStep' | 'dns'> = { steps: [], currentStep: -1, dns: { before: [], now: [] } };

export interface MigrationView {
  workflowId: string;
  workflowType: string;
  startTime: Date;
  /** The status query's answer, or why there is none (no worker answered, …). */
  status?: MigrationStatus;
  error?: string;
}

export async function readMigrations(t: Temporal, queryTimeoutSeconds = 5): Promise<MigrationView[]> {
  const found: Omit<MigrationView, 'status' | 'error'>[] = [];
  for await (const w of t.client.workflow.list({ query: RUNNING_MIGRATIONS, pageSize: MAX_MIGRATIONS })) {
    found.push({ workflowId: w.workflowId, workflowType: w.type, startTime: w.startTime });
    if (found.length >= MAX_MIGRATIONS) break;
  }
  found.sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.workflowId.localeCompare(b.workflowId));
  return Promise.all(
    found.map(async (m) => {
      try {
        const status = await withTimeout(t, queryTimeoutSeconds, () => t.client.workflow.getHandle(m.workflowId).query(statusQuery));
        const waves = (status as Partial<MigrationStatus>).waves ?? waveTotals(status.mailboxes, []);
        return { ...m, status: { ...NOT_ANSWERED_BEFORE, ...status, waves } };
      } catch (err) {
        return { ...m, error: `no answer to the status query (is a mailshift worker running?): ${causeOf(err)}` };
      }
    }),
  );
}
