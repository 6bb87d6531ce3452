// An operator at a classical migration: approves its gates as they open (start, each
// wave's cut-over, switch-mx, then done to end the post-syncs), until it ends. A gate that
// means trouble (step-failed, dns-conflict, canary) ends the drive with what the runbook says.
// For `npm run bench:orchestration`, `npm run bench:scale -- --migration` and
// test/workflows/bounds.test.ts (which skips time between looks instead of sleeping).
import type { WorkflowHandle } from '@temporalio/client';
import { approveUpdate } from '../../workflows/gates';
import type { GateName } from '../../workflows/spec';
import { statusQuery, type MigrationReport, type MigrationStatus } from '../../workflows/status';

const TROUBLE: GateName[] = ['step-failed', 'dns-conflict', 'canary'];

export interface DriveOptions {
  waves: string[];
  /** Between two looks at the status: sleep, or skip time. */
  idle: () => Promise<void>;
  /** Told of each approval as it is given. */
  approved?: (gate: GateName, wave?: string) => void;
}

export async function driveClassical(handle: WorkflowHandle, o: DriveOptions): Promise<MigrationReport> {
  const plan: [GateName, string?][] = [['start'], ...o.waves.map((w): [GateName, string] => ['cutover', w]), ['switch-mx'], ['done']];
  let ended = false;
  const result = handle.result() as Promise<MigrationReport>;
  result.then(
    () => (ended = true),
    () => (ended = true),
  );
  while (!ended) {
    const s: MigrationStatus | undefined = await handle.query(statusQuery).catch(() => undefined);
    const gate = s?.openGate;
    if (gate && TROUBLE.includes(gate)) throw new Error(`the runbook stopped at gate ${gate}: ${JSON.stringify(s?.failure ?? s?.conflict ?? s?.canary)}`);
    const [next, wave] = plan[0] ?? [];
    if (s && next && gate === next && (!wave || s.phase.includes(`(${wave})`))) {
      await handle.executeUpdate(approveUpdate, { args: [{ gate: next, by: 'operator', comment: `bench approves ${next}` }] });
      plan.shift();
      o.approved?.(next, wave);
      continue;
    }
    await o.idle();
  }
  return result;
}

/** How a drive failed, with the workflow failure's cause (InvalidSpec's problems, a step's error). */
export function failureText(err: unknown): string {
  const cause = (err as { cause?: Error }).cause;
  return `FAILED: ${(err as Error).message}${cause ? ` (cause: ${cause.message})` : ''}`;
}
