// The search attributes an operator filters migrations by in the Temporal UI
// (e.g. `MigrationOpenGate = "cutover"`). The dev server registers them at start.
// Temporal's common package: the key helper is not re-exported by @temporalio/workflow.
import { defineSearchAttributeKey } from '@temporalio/common';

export const MIGRATION_PHASE = defineSearchAttributeKey('MigrationPhase', 'KEYWORD');
export const MIGRATION_OPEN_GATE = defineSearchAttributeKey('MigrationOpenGate', 'KEYWORD');
export const MIGRATION_SCENARIO = defineSearchAttributeKey('MigrationScenario', 'KEYWORD');

export const searchAttributes = [MIGRATION_PHASE, MIGRATION_OPEN_GATE, MIGRATION_SCENARIO];
