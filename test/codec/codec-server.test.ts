// The codec server as the Temporal Web UI calls it: CORS preflight from the UI's origin,
// POST /decode and /encode in Temporal's JSON payload format; everything else refused
// with a status and a message.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { startCodecServer, toJson, type CodecServer, type JsonPayload } from '../../scripts/codec-server';
import { codecFromEnv } from '../../workers/codec';

const UI = 'http://127.0.0.1:8233';
const spec = { name: 'sandbox-classical', notifications: { from: 'mailshift@example.test' } };

let codec: PayloadCodec;
let server: CodecServer;
const logged: string[] = [];

beforeAll(async () => {
  codec = codecFromEnv({ MAILSHIFT_CODEC_KEY: randomBytes(32).toString('base64'), MAILSHIFT_CODEC_KEY_ID: 'ui-test' })!;
  server = await startCodecServer({ port: 0, uiOrigin: [UI, 'http://localhost:8233/'], codec, log: (l) => logged.push(l) });
});
afterAll(() => server?.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => { payloads: JsonPayload[]; error?: string };
}

function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (path: string, body: unknown, origin = UI) =>
  call('POST', path, { origin, 'content-type': 'application/json', 'x-namespace': 'default' }, typeof body === 'string' ? body : JSON.stringify(body));

describe('codec server', () => {
  it("answers the UI origin's preflight with the CORS headers the UI needs", async () => {
    const res = await call('OPTIONS', '/decode', {
      origin: UI,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
    const allowed = String(res.headers['access-control-allow-headers'])
      .split(',')
      .map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace']));
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('decodes an encrypted payload for the UI, and encodes what the UI sends', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(spec)]);
    const res = await post('/decode', { payloads: [toJson(encrypted)] });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['content-type']).toBe('application/json');
    const [decoded] = res.json().payloads;
    expect(Buffer.from(decoded.metadata!.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.data!, 'base64').toString())).toEqual(spec);

    // The Start Workflow form's input, as the UI sends it; the second origin is the UI too.
    const input = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(spec)).toString('base64') };
    const enc = await post('/encode', { payloads: [input] }, 'http://localhost:8233');
    expect(enc.status).toBe(200);
    expect(enc.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    const [out] = enc.json().payloads;
    expect(Buffer.from(out.metadata!.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(out.metadata!['encryption-key-id'], 'base64').toString()).toBe('ui-test');
    expect(enc.body).not.toContain(input.data);
    // …and what it encoded decodes back.
    const back = await post('/decode/', enc.body);
    expect(back.json().payloads).toEqual([{ metadata: input.metadata, data: input.data }]);
  });

  it('refuses other origins, other paths and methods, bad bodies and foreign keys, with a message each', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(spec)]);
    logged.length = 0;

    const evil = await post('/decode', { payloads: [toJson(encrypted)] }, 'http://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.json().error).toMatch(/origin http:\/\/evil\.example is not the Temporal Web UI's/);
    expect(evil.body).not.toContain('sandbox-classical');
    const evilPreflight = await call('OPTIONS', '/decode', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    expect(evilPreflight.status).toBe(403);
    expect(evilPreflight.headers['access-control-allow-origin']).toBeUndefined();

    const cases: [Promise<Answer>, number, RegExp][] = [
      [post('/nowhere', { payloads: [] }), 404, /POST \/encode or \/decode/],
      [call('GET', '/decode', { origin: UI }), 405, /only POST/],
      [post('/decode', '{not json'), 400, /not JSON/],
      [post('/decode', { nope: [] }), 400, /\{ "payloads": \[\.\.\.\] \}/],
      [post('/decode', { payloads: [{ metadata: { encoding: '%%%' }, data: '' }] }), 400, /payloads\[0\]\.metadata\.encoding must be a base64 string/],
      [post('/decode', { payloads: [42] }), 400, /payloads\[0\] must be an object/],
    ];
    for (const [answer, status, message] of cases) {
      const res = await answer;
      expect(res.status).toBe(status);
      expect(res.headers['access-control-allow-origin']).toBe(UI); // the UI can read why
      expect(res.json().error).toMatch(message);
    }

    // A payload from another key: refused, naming the key id.
    const other = codecFromEnv({ MAILSHIFT_CODEC_KEY: randomBytes(32).toString('base64'), MAILSHIFT_CODEC_KEY_ID: 'elsewhere' })!;
    const [foreign] = await other.encode([defaultPayloadConverter.toPayload(spec)]);
    const res = await post('/decode', { payloads: [toJson(foreign)] });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatch(/cannot decode: .*key id "elsewhere"/);
    // Every refusal was also logged on the server side.
    expect(logged).toHaveLength(3 + cases.length);
    expect(logged.join('\n')).toMatch(/403 origin http:\/\/evil\.example/);

    // The same request without an Origin (a script or `temporal --codec-endpoint`) is served.
    const cli = await call('POST', '/decode', { 'content-type': 'application/json' }, JSON.stringify({ payloads: [toJson(encrypted)] }));
    expect(cli.status).toBe(200);
    expect(cli.headers['access-control-allow-origin']).toBeUndefined();
  });
});
