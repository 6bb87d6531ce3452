// The codec server the Temporal Web UI calls to show mailshift's encrypted payloads
// decoded (and to encrypt what the operator types into Start Workflow or Send a Signal).
// Temporal's codec server protocol: POST /decode and POST /encode with
// `{ "payloads": [{ "metadata": { "encoding": "<base64>" }, "data": "<base64>" }] }`,
// answering the same shape. The browser calls it from the UI's origin, so it answers CORS
// for that origin (MAILSHIFT_UI_URL, default http://127.0.0.1:8233; several separated by
// commas) and refuses, with a 403, a browser request from any other origin.
//
//   MAILSHIFT_CODEC_KEY=... npx tsx scripts/codec-server.ts [port]   (or MAILSHIFT_CODEC_PORT; default 8234)
//
// It listens on 127.0.0.1 only: whoever reaches it can decrypt payloads.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { codecFromEnv } from '../workers/codec';

export const DEFAULT_CODEC_PORT = 8234;
export const DEFAULT_UI_URL = 'http://127.0.0.1:8233';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface CodecServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** The Web UI's origin(s) (a URL; only its origin counts). */
  uiOrigin: string | string[];
  codec: PayloadCodec;
  host?: string;
  /** Where to report failed requests; console.error by default. */
  log?: (line: string) => void;
}

export interface CodecServer {
  server: Server;
  port: number;
  /** http://127.0.0.1:<port>: what the UI's codec endpoint setting takes. */
  url: string;
  close: () => Promise<void>;
}

/** A payload as JSON: base64 `data` and base64 metadata values. */
export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
function base64(value: unknown, where: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

export function fromJson(p: unknown, i: number): Payload {
  if (!p || typeof p !== 'object') throw new HttpError(400, `payloads[${i}] must be an object`);
  const { metadata, data } = p as JsonPayload;
  if (metadata != null && (typeof metadata !== 'object' || Array.isArray(metadata))) throw new HttpError(400, `payloads[${i}].metadata must be an object`);
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, base64(v, `payloads[${i}].metadata.${k}`)])),
    data: data == null ? undefined : base64(data, `payloads[${i}].data`),
  };
}

export function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    throw new Error(`the Web UI's URL "${url}" is not a URL (MAILSHIFT_UI_URL)`);
  }
};

export function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const allowed = new Set((Array.isArray(options.uiOrigin) ? options.uiOrigin : [options.uiOrigin]).map(originOf));
  const log = options.log ?? ((line: string) => console.error(line));
  const host = options.host ?? '127.0.0.1';

  const send = (res: ServerResponse, status: number, body?: unknown): void => {
    if (body === undefined) res.writeHead(status).end();
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    // A browser page from another origin: refused, not just left without CORS headers.
    if (origin !== undefined && !allowed.has(origin)) {
      throw new HttpError(403, `origin ${origin} is not the Temporal Web UI's (${[...allowed].join(', ')}); set MAILSHIFT_UI_URL`);
    }
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
    }
    res.setHeader('vary', 'origin');
    const route = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    if (route !== '/encode' && route !== '/decode') throw new HttpError(404, `no ${route || '/'} here: POST /encode or /decode`);
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace');
      res.setHeader('access-control-max-age', '600');
      return send(res, 204);
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST, OPTIONS');
      throw new HttpError(405, `${req.method} ${route}: only POST`);
    }
    const body = await readBody(req);
    const list = (body as { payloads?: unknown } | null)?.payloads;
    if (!Array.isArray(list)) throw new HttpError(400, 'the body must be { "payloads": [...] }');
    const payloads = list.map(fromJson);
    let out: Payload[];
    try {
      out = route === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    } catch (err) {
      throw new HttpError(400, `cannot ${route.slice(1)}: ${(err as Error).message}`);
    }
    send(res, 200, { payloads: out.map(toJson) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      log(`codec server: ${req.method} ${req.url} from ${req.headers.origin ?? 'no origin'}: ${status} ${message}`);
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        port,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            server.closeAllConnections(); // a browser's keep-alive connections
          }),
      });
    });
  });
}

async function main(): Promise<void> {
  const codec = codecFromEnv();
  if (!codec) throw new Error('MAILSHIFT_CODEC_KEY is not set: the codec server needs the key the worker encrypts with');
  const raw = process.argv[2] ?? process.env.MAILSHIFT_CODEC_PORT ?? String(DEFAULT_CODEC_PORT);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`the port "${raw}" is not a port number`);
  const uiOrigin = (process.env.MAILSHIFT_UI_URL ?? DEFAULT_UI_URL)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const s = await startCodecServer({ port, uiOrigin, codec });
  console.log(`codec server: ${s.url} (for the Web UI at ${uiOrigin.join(', ')}); the UI's codec endpoint is ${s.url}`);
  const stop = () => void s.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
