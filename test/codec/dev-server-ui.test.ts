// `npm start` with MAILSHIFT_CODEC_KEY: the dev server's Web UI is started with the codec
// server as its codec endpoint (the browser then calls it for every payload it shows).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startCodecServer, type CodecServer } from '../../scripts/codec-server';
import { freePorts, stopPid } from '../../scripts/servers/process';
import { startDevServer } from '../../scripts/servers/temporal-dev';
import { codecFromEnv } from '../../workers/codec';

let dir: string;
let pid: number | undefined;
let codecServer: CodecServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailshift-codec-ui-'));
});
afterAll(async () => {
  await stopPid(pid);
  await codecServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('starts the Web UI with the codec server as its codec endpoint, which answers the UI origin', async () => {
  const [port, uiPort] = await freePorts(2);
  const ui = `http://127.0.0.1:${uiPort}`;
  const codec = codecFromEnv({ MAILSHIFT_CODEC_KEY: randomBytes(32).toString('base64') })!;
  codecServer = await startCodecServer({ port: 0, uiOrigin: ui, codec, log: () => undefined });
  pid = await startDevServer({
    port,
    uiPort,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    uiCodecEndpoint: codecServer.url,
  });

  // The UI's own settings API: what the browser app reads to find the codec endpoint.
  const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
  expect(settings.Codec?.Endpoint).toBe(codecServer.url);

  // The browser's preflight from that UI origin is accepted.
  const res = await fetch(`${codecServer.url}/decode`, {
    method: 'OPTIONS',
    headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe(ui);
});
