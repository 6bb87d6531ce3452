// `mailshift validate <spec>`: every problem with its field path; nothing is started.
import { EXIT, json, parse, type CliIo } from './io';
import { checkSpecFile, workflowTypeOf, type CheckedSpec } from './spec-file';
import { specWarnings } from './spec-warnings';

export const validateHelp = `mailshift validate <spec.json|spec.yaml> [--json]

Checks a migration spec with the workflow's own rules and lists every problem with its
field path (e.g. mailboxes[1].source.credential). Exit 0 when valid, 2 when not.`;

/** The human summary of a valid spec, or its problems one per line. */
export function describeCheck(checked: CheckedSpec, io: CliIo): void {
  if (checked.ok) {
    const s = checked.spec;
    const waves = [...new Set(s.mailboxes.map((m) => m.wave))];
    io.out(
      `${checked.file}: valid. Migration "${s.name}" (${s.scenario}, workflow ${workflowTypeOf(s)}): ` +
        `${s.mailboxes.length} mailbox(es) in ${waves.length} wave(s) (${waves.join(', ')}), migration hour ${s.schedule.migrationAt}, ` +
        `approvers ${s.approvals.approvers.join(', ')}.`,
    );
    for (const w of specWarnings(s)) io.out(`  warning: ${w.path}: ${w.message}`);
    return;
  }
  io.err(`${checked.file}: ${checked.problems.length} problem(s):`);
  for (const p of checked.problems) io.err(`  ${p.path}: ${p.message}`);
}

export async function validateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, args } = parse(argv, { json: { type: 'boolean' } }, ['spec']);
  if (values.help) {
    io.out(validateHelp);
    return EXIT.ok;
  }
  const checked = await checkSpecFile(args[0], io.now?.() ?? new Date(), io.cwd);
  if (values.json) {
    io.out(
      json(
        checked.ok
          ? {
              ok: true,
              file: checked.file,
              name: checked.spec.name,
              scenario: checked.spec.scenario,
              workflowType: workflowTypeOf(checked.spec),
              problems: [],
              warnings: specWarnings(checked.spec),
            }
          : checked,
      ),
    );
  } else {
    describeCheck(checked, io);
  }
  return checked.ok ? EXIT.ok : EXIT.usage;
}
