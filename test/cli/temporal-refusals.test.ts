// What `mailshift start` says when Temporal itself refuses the start, against a real dev
// server whose payload limit is lower than any spec (as a cluster's operator may set it):
// one line naming the cause, exit 2, never a stack trace; and a spec too large for any
// cluster is refused by validation before Temporal sees it.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createLocalEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { cli, specFile, type Run } from './capture';

let env: TestWorkflowEnvironment;
let run: (...argv: string[]) => Promise<Run>;
const spec = demoSpec('classical', new Date(Date.now() + 7 * 86_400_000));

beforeAll(async () => {
  // Any spec is larger than 1,000 bytes: this server refuses every workflow input.
  env = await createLocalEnv({ dynamicConfig: { 'limit.blobSize.warn': 500, 'limit.blobSize.error': 1_000 } });
  run = cli({ client: env.client, taskQueue: `refusals-${randomUUID()}` });
}, 60_000);
afterAll(() => env?.teardown());

/** Nothing in the output looks like a stack trace. */
const noStack = (r: Run) => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at /m);

it('prints the cause in one line and exits 2 when Temporal refuses the input', async () => {
  const id = `refused-${randomUUID()}`;
  const r = await run('start', specFile('refused.json', spec), '--id', id);
  noStack(r);
  expect(r.stderr).toBe(`Temporal refused to start workflow ${id}: Blob data size exceeds limit. Nothing was started.`);
  expect(r.code).toBe(2);
  await expect(env.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});

it('refuses a 20,000-mailbox spec before sending it, naming mailboxes and the size', async () => {
  const [template] = spec.mailboxes;
  const mailboxes = Array.from({ length: 20_000 }, (_, i) => ({
    ...template,
    source: { ...template.source, user: `user${i}` },
    destination: { ...template.destination, user: `user${i}` },
  }));
  const id = `too-large-${randomUUID()}`;
  const r = await run('start', specFile('too-large.json', { ...spec, mailboxes }), '--id', id);
  noStack(r);
  expect(r.stderr).toMatch(
    /^ {2}mailboxes: the spec is [\d.]+ MB; a migration's input must stay under 1\.5 MB \(about [\d,]+ mailboxes like these\): split it into several migrations$/m,
  );
  expect(r.stderr).toMatch(/nothing was started\.$/);
  expect(r.code).toBe(2);
  await expect(env.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});
