// The dashboard's HTTP server (node:http): GET / is the page, GET /content what the page
// fetches again every few seconds. Read-only: any other method gets 405. Each request
// reads the running migrations from Temporal afresh (migrations.ts); access.ts says who
// may read them.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { causeOf, type Temporal } from '../cli/temporal';
import { bindRefusal, checkAccess } from './access';
import { html } from './html';
import { readMigrations } from './migrations';
import { contentSecurityPolicy, dashboardContent, dashboardPage } from './page';

export const DEFAULT_DASHBOARD_PORT = 8235;

export interface DashboardOptions {
  temporal: Temporal;
  /** Default 127.0.0.1; any other than a loopback address needs `token`. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  token?: string;
  /** A workflow's page in the Temporal Web UI. */
  uiLink: (workflowId: string) => string;
  /** Where failed requests are reported; console.error by default. */
  log?: (line: string) => void;
}

export interface Dashboard {
  url: string;
  port: number;
  close: () => Promise<void>;
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  const refusal = bindRefusal(host, o.token);
  if (refusal) return Promise.reject(new Error(refusal));
  const log = o.log ?? ((line: string) => console.error(line));

  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { ...COMMON_HEADERS, 'content-type': `${type}; charset=utf-8`, ...headers }).end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'read-only: GET only\n', { allow: 'GET' });
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const access = checkAccess(req, url, o.token);
    if (!access.allowed) {
      if ('location' in access) return send(res, 303, 'text/plain', '', { location: access.location, 'set-cookie': access.setCookie });
      return send(res, access.status, 'text/plain', `${access.reason}\n`);
    }
    if (url.pathname !== '/' && url.pathname !== '/content') return send(res, 404, 'text/plain', `no ${url.pathname} here: GET /\n`);
    const now = new Date();
    let content;
    try {
      content = dashboardContent(await readMigrations(o.temporal), now, o.uiLink);
    } catch (err) {
      const reason = `cannot list the migrations in Temporal: ${causeOf(err)}`;
      log(`dashboard: ${reason}`);
      if (url.pathname === '/content') return send(res, 502, 'text/plain', reason);
      content = html`<p class="alert failure">${reason}</p>`;
    }
    if (url.pathname === '/content') return send(res, 200, 'text/html', content.text);
    const nonce = randomBytes(16).toString('base64');
    send(res, 200, 'text/html', dashboardPage(content, nonce), { 'content-security-policy': contentSecurityPolicy(nonce) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`dashboard: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) send(res, 500, 'text/plain', "internal error: see the dashboard's log\n");
      else res.end();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            server.closeAllConnections(); // a browser's keep-alive connections
          }),
      });
    });
  });
}
