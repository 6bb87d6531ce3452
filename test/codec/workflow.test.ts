// A whole classical migration on the time-skipping server with the payload codec on the
// client and the worker (activities faked): the history Temporal stores holds none of
// the spec's text, which a client with the codec reads back as usual.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { codecFromEnv, dataConverterFromEnv, ENCRYPTED_ENCODING } from '../../workers/codec';
import { fakeActivities, fakeWorld } from '../workflows/fakes';
import { approveWhenOpen, workflowBundle } from '../workflows/harness';

const DAY = 86_400_000;
const mx = { name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] };
const env_ = { MAILSHIFT_CODEC_KEY: randomBytes(32).toString('base64'), MAILSHIFT_CODEC_KEY_ID: 'wf-test' };
// The spec's text: its name, addresses, a contact, the help desk line.
const SPEC_TEXT = ['sandbox-classical', 'mailshift@example.test', 'operator@example.test', 'alice@home.example.test', '555-0100'];

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

/** Every payload in a history (inputs, results, signals, updates, markers, memo, search attributes). */
function payloadsIn(node: unknown, found: { payload: Payload; path: string }[] = [], path = ''): typeof found {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return found;
  const o = node as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && !Array.isArray(o.metadata) && Object.values(o.metadata).every((v) => v instanceof Uint8Array)) {
    found.push({ payload: o as Payload, path });
    return found;
  }
  for (const [k, v] of Object.entries(o)) payloadsIn(v, found, `${path}.${k}`);
  return found;
}

/** The history exactly as stored, as text (binary protobuf read as latin1: plain JSON shows). */
const asText = (history: temporal.api.history.v1.IHistory) => Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');

async function decodeInPlace(history: temporal.api.history.v1.IHistory, codec: PayloadCodec) {
  for (const { payload } of payloadsIn(history)) {
    const [plain] = await codec.decode([payload]);
    payload.metadata = plain.metadata;
    payload.data = plain.data;
  }
}

describe('payload codec on a migration', () => {
  it('keeps the spec out of the stored history; the codec client and worker run it as usual', async () => {
    const dataConverter = dataConverterFromEnv(env_);
    const codec = codecFromEnv(env_)!;
    expect(dataConverter).toBeDefined();
    const client = new Client({ connection: env.connection, namespace: env.namespace, dataConverter });
    const rawClient = new Client({ connection: env.connection, namespace: env.namespace });

    const world = fakeWorld([mx]);
    const taskQueue = `codec-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: fakeActivities(world),
      dataConverter,
    });
    const running = worker.run();
    try {
      const migrationAt = new Date((await env.currentTimeMs()) + 2 * DAY - 3_600_000);
      const workflowId = `codec-${randomUUID()}`;
      const handle = await client.workflow.start(classicalMigration, { taskQueue, workflowId, args: [demoSpec('classical', migrationAt)] });
      await approveWhenOpen(env, handle, 'start');
      await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
      await approveWhenOpen(env, handle, 'cutover', 'everyone');
      await approveWhenOpen(env, handle, 'switch-mx');
      // A plain Client does not skip time while it waits for a result, as env.client does: unlock it here.
      const testService = env.connection.testService!;
      await testService.unlockTimeSkipping({});
      const report = await handle.result().finally(() => testService.lockTimeSkipping({}));
      expect(report.outcome).toBe('completed');
      // The activities got the spec's values, decrypted.
      expect(world.calls.some((c) => JSON.stringify(c.input).includes('mailshift@example.test'))).toBe(true);

      // Read as anyone with access to Temporal (no codec) would: ciphertext.
      const history = await rawClient.workflow.getHandle(workflowId).fetchHistory();
      const stored = asText(history);
      for (const t of SPEC_TEXT) expect(stored).not.toContain(t);
      const payloads = payloadsIn(history);
      const encrypted = payloads.filter(({ payload }) => Buffer.from(payload.metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING);
      expect(encrypted.length).toBeGreaterThan(20); // the input, activity inputs and results, updates, the result
      // Only search attributes stay plain (the server indexes them: phase, gate, scenario), the
      // SDK's own record of the spec's validation as a local activity (its type, attempt and
      // time; the result beside it, the validated spec, is encrypted and checked above), and
      // Core's patch markers (a patch id, as `patched()` names it in the code).
      const plain = payloads.filter((p) => !encrypted.includes(p)).map((p) => p.path);
      expect(plain.filter((p) => !/\.searchAttributes\.indexedFields\.|\.markerRecordedEventAttributes\.details\.(data|patch-data)\./.test(p))).toEqual([]);
      expect(payloads.some((p) => /\.markerRecordedEventAttributes\.details\.result\./.test(p.path) && encrypted.includes(p))).toBe(true);
      // The raw client cannot read the result either.
      await expect(rawClient.workflow.getHandle(workflowId).result()).rejects.toThrow(/Unknown encoding: binary\/encrypted/);

      // The same history decrypted holds the spec's text: the check above can fail.
      await decodeInPlace(history, codec);
      const decoded = asText(history);
      for (const t of SPEC_TEXT) expect(decoded).toContain(t);
    } finally {
      worker.shutdown();
      await running;
    }
  });
});
