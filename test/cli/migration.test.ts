// The operator's and approver's commands against a running migration: the time-skipping
// test server, a worker with the recording fake activities, and the CLI given the test
// environment's client (time skips while `report` waits for the result).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { fakeWorld } from '../workflows/fakes';
import { startWorker, until } from '../workflows/harness';
import { mailboxRound } from '../../workflows/mailbox-round';
import { parseSpec } from '../../workflows/spec';
import { cli, specFile, type Run } from './capture';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };

let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof startWorker>>;
let run: (...argv: string[]) => Promise<Run>;
const world = fakeWorld([mx]);

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await startWorker(env, world);
  run = cli({ client: env.client, taskQueue: worker.taskQueue, env: { MAILSHIFT_UI_URL: 'http://ui.test:8080/' } });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

async function migrationAt(days: number) {
  return new Date((await env.currentTimeMs()) + days * DAY);
}

describe('mailshift start', () => {
  it('refuses a bad spec and starts nothing', async () => {
    const spec = { ...demoSpec('classical', await migrationAt(3)), name: 'cli-bad' } as Record<string, unknown>;
    spec.mailboxes = [];
    const id = `cli-bad-${randomUUID()}`;
    const r = await run('start', specFile('bad-start.json', spec), '--id', id);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mailboxes: .*\n.*nothing was started/s);
    expect(r.stdout).not.toMatch(/started/);
    for (const wid of [id, 'migration-cli-bad']) {
      await expect(env.client.workflow.getHandle(wid).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
  });

  it('starts luckyMigration for a lucky spec, with the default id migration-<name>, and refuses a second start', async () => {
    const spec = { ...demoSpec('lucky', await migrationAt(3)), name: 'cli-lucky' };
    const file = specFile('lucky.yaml', JSON.stringify(spec));
    const r = await run('start', file, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ workflowId: 'migration-cli-lucky', workflowType: 'luckyMigration', taskQueue: worker.taskQueue, namespace: 'default' });
    expect(out.ui).toBe('http://ui.test:8080/namespaces/default/workflows/migration-cli-lucky');
    const handle = env.client.workflow.getHandle('migration-cli-lucky');
    const described = await handle.describe();
    expect(described.type).toBe('luckyMigration');
    // The Web UI's Summary: what the migration is, at a glance.
    expect(await described.staticSummary()).toBe(`cli-lucky: lucky migration of 3 mailboxes in 2 waves, migration hour ${spec.schedule.migrationAt}`);
    const again = await run('start', file);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    // Terminated only once quiet at its first gate: an activity cut off mid-flight would hold
    // the test server's time skipping for the tests that follow.
    await until(env, handle, (s) => s.openGate === 'start');
    await handle.terminate('test done');
  });
});

describe('an operator and an approver drive a classical migration', () => {
  it('start, status, approve (accepted and refused), pause, resume, rollback, report', async () => {
    const id = `cli-classical-${randomUUID()}`;
    const started = await run('start', specFile('classical.json', demoSpec('classical', await migrationAt(3))), '--id', id);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`as workflow ${id}`);
    expect(started.stdout).toContain(`web UI: http://ui.test:8080/namespaces/default/workflows/${id}`);
    const handle = env.client.workflow.getHandle(id);
    expect((await handle.describe()).type).toBe('classicalMigration');

    await until(env, handle, (s) => s.openGate === 'start');
    const status = await run('status', id);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^open gate: +start +-> mailshift approve .* start --by <approver>$/m);
    expect(status.stdout).toMatch(/^paused: +no$/m);
    expect(status.stdout).toMatch(/^last round: +verify: 3\/3 mailboxes ok \[#{10}\]/m);
    expect(status.stdout).toMatch(/^ {2}alice +\[#----\] preflight +friendly-users +last verify ok/m);
    expect(status.stdout).toMatch(/no estimate yet/);
    expect(status.stdout).toMatch(/^wave everyone: 2 mailbox\(es\), 0 synced, 0 failed, 0 cut from host1, 0 on host2$/m);
    // One mailbox, however many the migration has.
    const bob = await run('mailbox', id, 'bob');
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(/^mailbox bob \(wave everyone\) of /);
    expect(bob.stdout).toMatch(/^last round: +verify ok/m);
    expect(bob.stdout).toMatch(/^access: +open on host1$/m);
    const nobody = await run('mailbox', id, 'nobody');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toBe(`migration ${id} has no mailbox of host1 user "nobody"`);

    // A wrong gate and an unknown approver are refused at once, with the reason (exit 3).
    const wrongGate = await run('approve', id, 'cutover', '--by', 'operator');
    expect(wrongGate.code).toBe(3);
    expect(wrongGate.stderr).toBe('refused: gate "cutover" is not open; the open gate is "start"');
    // --decision reaches the workflow (which takes one only at gates step-failed and canary).
    expect((await run('approve', id, 'start', '--by', 'operator', '--decision', 'maybe')).code).toBe(2);
    const decided = await run('approve', id, 'start', '--by', 'operator', '--decision', 'retry');
    expect(decided.code).toBe(3);
    expect(decided.stderr).toBe('refused: "decision" is only for gates "step-failed" and "canary"');
    const stranger = await run('approve', id, 'start', '--by', 'mallory', '--json');
    expect(stranger.code).toBe(3);
    expect(JSON.parse(stranger.stdout)).toEqual({ accepted: false, reason: '"mallory" is not an allowed approver of this migration' });
    // The refusals are in the audit log.
    const refusals = JSON.parse((await run('status', id, '--json')).stdout).status.audit.filter((e: { kind: string }) => e.kind === 'refused');
    expect(refusals.map((e: { by: string; via: string }) => `${e.by} (${e.via})`)).toEqual(['operator (update)', 'operator (update)', 'mallory (update)']);
    expect((await run('approve', id, 'nonsense', '--by', 'operator')).code).toBe(2);
    // Too long to send (over Temporal's payload limit not even the refusal could come back).
    for (const argv of [
      ['approve', id, 'start'],
      ['rollback', id],
      ['pause', id],
    ]) {
      const long = await run(...argv, '--by', 'operator', '--comment', 'c'.repeat(2_500_000));
      expect([long.code, long.stderr]).toEqual([2, expect.stringContaining('"comment" is too long: 2500000 characters, at most 2000; nothing was sent')]);
    }
    expect((await run('approve', id, 'start')).code).toBe(2); // --by is required

    const approved = await run('approve', id, 'start', '--by', 'operator', '--comment', 'preflight looks fine');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toBe('accepted: gate "start" approved by operator');

    // The TTL goes down, the old TTL runs out, the first pre-sync runs: an estimate and a timer.
    await until(env, handle, (s) => s.rounds.some((r) => r.kind === 'presync') && !!s.nextTimer);
    const json = JSON.parse((await run('status', id, '--json')).stdout);
    expect(json).toMatchObject({ workflowId: id, execution: 'RUNNING', status: { phase: 'pre-sync', paused: false } });
    expect(json.status.audit).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'approval', gate: 'start', by: 'operator', comment: 'preflight looks fine', via: 'update' })]),
    );
    const text = (await run('status', id, '--audit', '3')).stdout;
    expect(text).toMatch(/^next timer: +next pre-sync or the migration hour at \S+ \(in /m);
    expect(text).toMatch(/^final sync: +about \d+ (ms|s)/m);
    expect(text).toMatch(/^ {2}bob +\[##---\] pre-synced/m);
    expect(text).toMatch(/audit log \(last 3 of \d+\):/);

    // Pause and resume (Signals), confirmed from the audit log; a stranger's pause is refused.
    const paused = await run('pause', id, '--by', 'operator');
    expect([paused.code, paused.stdout]).toEqual([0, expect.stringMatching(/taken: .* pause +by operator/)]);
    expect((await run('status', id)).stdout).toMatch(/^paused: +yes/m);
    const strangerPause = await run('resume', id, '--by', 'mallory');
    expect([strangerPause.code, strangerPause.stderr]).toEqual([3, 'refused: "mallory" is not an allowed approver of this migration']);
    expect((await run('resume', id, '--by', 'operator')).code).toBe(0);
    expect((await run('status', id)).stdout).toMatch(/^paused: +no/m);

    // Rollback: needs a reason; then the report (waiting for the end) says what was restored.
    expect((await run('rollback', id, '--by', 'operator')).code).toBe(2);
    const rolledBack = await run('rollback', id, '--by', 'operator', '--comment', 'host2 quota too small');
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toMatch(/^accepted: rollback started/);

    const report = await run('report', id);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^# Migration sandbox-classical: rolled-back$/m);
    expect(report.stdout).toMatch(/^\| \S+ \| rollback \| example\.test\. \| ttl 300: 10 mail1\.example\.test\. \| ttl 86400: 10 mail1\.example\.test\. \|$/m);
    expect(report.stdout).toMatch(/rollback +by operator: "host2 quota too small"/);
    const reportJson = JSON.parse((await run('report', id, '--json', '--no-wait')).stdout);
    expect(reportJson).toMatchObject({ workflowId: id, outcome: 'rolled-back', scenario: 'classical' });
    expect(world.records.get('example.test./MX')).toEqual(mx); // the fake DNS is back as it was

    // A closed migration takes no more approvals.
    const late = await run('approve', id, 'cutover', '--by', 'operator');
    expect([late.code, late.stderr]).toEqual([1, `workflow ${id} is COMPLETED: it takes no more approvals or rollbacks`]);
  });

  it('says in one line, exit 1, when a workflow does not answer the status query (not a migration)', async () => {
    // A mailbox round (a migration's child workflow, listed beside it in the Web UI) has no status query.
    const id = `cli-round-${randomUUID()}`;
    const spec = parseSpec(demoSpec('classical', await migrationAt(3)), new Date(await env.currentTimeMs()));
    await env.client.workflow.execute(mailboxRound, {
      taskQueue: worker.taskQueue,
      workflowId: id,
      args: [{ spec, kind: 'verify', mailboxes: [], usersOnHost2: [], mxOnHost2: false }],
    });
    const r = await run('status', id);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at /m);
    expect(r.stderr).toMatch(new RegExp(`^workflow ${id} \\(mailboxRound\\) did not answer the status query: [^\\n]*status[^\\n]*$`));
    expect(r.code).toBe(1);
  });

  it('exits 1 for a workflow that does not exist', async () => {
    for (const command of ['status', 'report']) {
      const r = await run(command, `no-such-${randomUUID()}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no migration workflow .* found/);
    }
  });
});
