// A new worker version deployed while a migration waits at a gate: the migration goes on
// with the new code. "v1" is today's workflows/. "v2" is today's workflows/ plus one
// replay-safe change guarded by `patched()`: a verification of every mailbox between the
// switch-mx approval and the MX switch (test/faults/next-version/next-release.ts).
// Time-skipping server, fake activities. The v1 worker is shut down and a v2 worker takes
// over the same task queue.
//  - A migration waiting at gate switch-mx when v2 arrives finishes on v2 and runs the new
//    step. Its history shows workflow tasks completed by v1, then by v2, the patch marker,
//    and no failed workflow task.
//  - A migration already past that gate when v2 arrives finishes on v2 without the step:
//    no patch marker and no failed workflow task.
//  - A whole migration recorded on v1 replays on v1 and on v2. The same change without
//    `patched()` fails that replay with a DeterminismViolationError (the negative control).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/workflow-bundle';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { approveUpdate } from '../../workflows/gates';
import type { MigrationStatus } from '../../workflows/status';
import type { GateName } from '../../workflows/spec';
import { fakeActivities, fakeWorld, type FakeWorld } from '../workflows/fakes';
import { approveWhenOpen, until, workflowBundle } from '../workflows/harness';
import { PATCH_ID, type NextReleaseOptions } from './next-version/next-release';
import { PACKED_PAGES_PATCH } from '../../workflows/sync-rounds';
import { BATCHES_PATCH } from '../../workflows/throttle-notices';
import { SPEC_APART_PATCH } from '../../workflows/run-scenario';

// About 40 s on an idle machine (three workflow bundles, workers without a cache: see deploy).
jest.setTimeout(120_000);

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;
const mx = { name: 'example.test.', type: 'MX', ttl: 3600, values: ['10 mail1.example.test.'] };
const mxOnHost2 = '10 mail2.example.test.';
const USERS = ['alice', 'bob', 'carol'];

/**
 * Today's workflows/ with the next release's diff applied to workflows/classical-migration.ts
 * only. Webpack loads the loader with require(), which Jest compiles as it does this file.
 */
function nextReleaseBundle(options: NextReleaseOptions): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    webpackConfigHook: (config) => {
      config.module?.rules?.push({
        resource: require.resolve('../../workflows/classical-migration'),
        enforce: 'pre',
        use: { loader: require.resolve('./next-version/next-release'), options },
      });
      return config;
    },
  });
}

type Version = 'v1' | 'v2' | 'v2-unguarded';
let env: TestWorkflowEnvironment;
const bundles = {} as Record<Version, WorkflowBundleWithSourceMap>;
beforeAll(async () => {
  [env, bundles.v1, bundles.v2, bundles['v2-unguarded']] = await Promise.all([
    createTimeSkippingEnv(),
    workflowBundle(),
    nextReleaseBundle({ guarded: true }),
    nextReleaseBundle({ guarded: false }),
  ]);
});
afterAll(() => env?.teardown());

/**
 * A worker of one version on `taskQueue`, named after its version (the identity its
 * workflow tasks carry in the history); `stop` shuts it down and waits until it has
 * stopped. A worker that is to be replaced keeps no workflow cache: a real server gives a
 * task back to the normal queue when the sticky queue of a stopped worker does not take it
 * (stickyQueueScheduleToStartTimeout), but the Java test server never does, and the task
 * would wait there forever. The new version has an empty cache either way, so it replays
 * the whole history as it would after a real deployment.
 */
async function deploy(taskQueue: string, world: FakeWorld, version: Version, { replaced = false } = {}) {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    identity: version,
    workflowBundle: bundles[version],
    activities: fakeActivities(world),
    ...(replaced && { maxCachedWorkflows: 0 }),
  });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}

/** A short migration: the MX's TTL is an hour and the migration hour is 3 hours away. */
async function startMigration(taskQueue: string) {
  const migrationAt = new Date((await env.currentTimeMs()) + 3 * 3_600_000);
  return env.client.workflow.start(classicalMigration, {
    taskQueue,
    workflowId: `new-version-${randomUUID()}`,
    args: [demoSpec('classical', migrationAt)],
  });
}

/** The classical runbook's gates in order (cutover: one per wave). */
const GATES: [GateName, string?][] = [['start'], ['cutover', 'friendly-users'], ['cutover', 'everyone'], ['switch-mx']];

async function approveEach(handle: WorkflowHandle, gates: [GateName, string?][]) {
  for (const [gate, wave] of gates) await approveWhenOpen(env, handle, gate, wave);
}

const approve = (handle: WorkflowHandle, gate: GateName) =>
  handle.executeUpdate(approveUpdate, { args: [{ gate, by: 'operator', comment: `approved on the new version` }] });

/** Verify rounds over every mailbox (no wave): the preflight, plus the new step when it ran. */
const wholeVerifyRounds = (s: MigrationStatus) => s.rounds.filter((r) => r.kind === 'verify' && !r.wave).length;

const TODAYS_PATCHES = [PACKED_PAGES_PATCH, BATCHES_PATCH, SPEC_APART_PATCH];

/**
 * The history's patch markers of the next release's change (Core records `patched()` as
 * marker `core_patch`); today's workflows record their own patches, which are not this test's.
 */
function patchMarkers(history: History): string[] {
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
      return data ? defaultPayloadConverter.fromPayload<{ id: string }>(data).id : '(a patch marker without its id)';
    })
    .filter((id) => !TODAYS_PATCHES.includes(id));
}

/** The versions that completed the history's workflow tasks, in turn (runs of one version as one). */
const completedBy = (history: History) =>
  (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    .map((e) => e.workflowTaskCompletedEventAttributes?.identity)
    .filter((id, i, all) => id !== all[i - 1]);

const failedWorkflowTasks = (history: History) =>
  (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message);

/** The mailboxes verified after call `from` and before the MX moved to host2. */
function verifiedBeforeMxSwitch(world: FakeWorld, from: number): string[] {
  const calls = world.calls.slice(from);
  const switched = calls.findIndex((c) => c.name === 'replaceRecords' && c.input.next.type === 'MX' && c.input.next.values[0] === mxOnHost2);
  expect(switched).toBeGreaterThanOrEqual(0);
  return calls
    .slice(0, switched)
    .filter((c) => c.name === 'verifyMailbox')
    .map((c) => c.input.mailbox as string)
    .sort();
}

describe('a new worker version deployed during a migration', () => {
  it('a migration waiting at gate switch-mx continues on v2 and runs its new step', async () => {
    const world = fakeWorld([mx]);
    const taskQueue = `new-version-${randomUUID()}`;
    let stop = await deploy(taskQueue, world, 'v1', { replaced: true });
    try {
      const handle = await startMigration(taskQueue);
      await approveEach(handle, GATES.slice(0, 3));
      const atGate = await until(env, handle, (s) => s.openGate === 'switch-mx');
      expect(wholeVerifyRounds(atGate)).toBe(1); // only the preflight so far
      expect(patchMarkers(await handle.fetchHistory())).toEqual([]);

      await stop(); // v1 is gone; v2 takes the task queue over
      stop = await deploy(taskQueue, world, 'v2');
      const approvedAt = world.calls.length;
      await approve(handle, 'switch-mx');
      const report = await handle.result();

      expect(report.outcome).toBe('completed');
      expect(world.records.get('example.test./MX')?.values).toEqual([mxOnHost2]);
      // The new step ran on v2: every mailbox verified again before the MX moved.
      expect(verifiedBeforeMxSwitch(world, approvedAt)).toEqual(USERS);
      expect(wholeVerifyRounds(report)).toBe(2);
      const history = await handle.fetchHistory();
      expect(completedBy(history)).toEqual(['v1', 'v2']);
      expect(patchMarkers(history)).toEqual([PATCH_ID]);
      expect(failedWorkflowTasks(history)).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('a migration already past gate switch-mx continues on v2 without the new step', async () => {
    const world = fakeWorld([mx]);
    const taskQueue = `new-version-${randomUUID()}`;
    let stop = await deploy(taskQueue, world, 'v1', { replaced: true });
    try {
      const handle = await startMigration(taskQueue);
      await approveEach(handle, GATES);
      await until(env, handle, (s) => s.openGate === 'done');
      const mxSwitchedAt = world.calls.findIndex((c) => c.name === 'replaceRecords' && c.input.next.values[0] === mxOnHost2);
      expect(mxSwitchedAt).toBeGreaterThan(0); // v1 did switch the MX

      await stop();
      stop = await deploy(taskQueue, world, 'v2');
      const handedOver = world.calls.length;
      await approve(handle, 'done');
      const report = await handle.result();

      expect(report.outcome).toBe('completed');
      expect(world.calls.slice(handedOver).some((c) => c.name === 'replaceRecords' && c.input.next.ttl === mx.ttl)).toBe(true); // v2 restored the TTL it had before
      expect(wholeVerifyRounds(report)).toBe(1);
      expect(world.calls.filter((c) => c.name === 'verifyMailbox').length).toBe(2 * USERS.length); // preflight + the waves' verifications
      const history = await handle.fetchHistory();
      expect(completedBy(history)).toEqual(['v1', 'v2']);
      expect(patchMarkers(history)).toEqual([]);
      expect(failedWorkflowTasks(history)).toEqual([]);
    } finally {
      await stop();
    }
  });

  describe('a whole migration recorded on v1', () => {
    let history: History;
    let workflowId: string;
    beforeAll(async () => {
      const world = fakeWorld([mx]);
      const taskQueue = `new-version-${randomUUID()}`;
      const stop = await deploy(taskQueue, world, 'v1');
      try {
        const handle = await startMigration(taskQueue);
        await approveEach(handle, GATES);
        expect((await handle.result()).outcome).toBe('completed');
        history = await handle.fetchHistory();
        workflowId = handle.workflowId;
        expect(completedBy(history)).toEqual(['v1']);
      } finally {
        await stop();
      }
    });
    const replay = (version: Version) => Worker.runReplayHistory({ workflowBundle: bundles[version] }, history, workflowId);

    it('replays on v1 (the control: the history and the replay are sound)', async () => {
      expect(history.events?.length).toBeGreaterThan(50);
      await expect(replay('v1')).resolves.toBeUndefined();
    });

    it('replays on v2, whose change patched() guards', async () => {
      await expect(replay('v2')).resolves.toBeUndefined();
    });

    it('fails to replay on the same change without patched(): a DeterminismViolationError', async () => {
      const err = await replay('v2-unguarded').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeterminismViolationError);
      // Where v1 had moved the MX (activity replaceRecords), the unguarded code starts its verification round.
      expect(String((err as Error).message)).toMatch(/Nondeterminism error: Child workflow .*replaceRecords/);
    });
  });
});
