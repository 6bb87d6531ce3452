// The migration spec, validated once, when a migration starts. The workflow runs this as a
// local activity, so its result is recorded in history: replaying a running migration
// never re-validates with a later release's (perhaps stricter) schema.
import { ApplicationFailure } from '@temporalio/common';
import { parseSpec, SpecError, type MigrationSpec } from '../workflows/spec';

/** `now` is the workflow's clock, against which the migration hour must be in the future. */
export async function validateSpec({ spec, now }: { spec: unknown; now: string }): Promise<MigrationSpec> {
  try {
    return parseSpec(spec, new Date(now));
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
    throw err;
  }
}
