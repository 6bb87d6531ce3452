// What the dashboard tests share: plain HTTP requests (any method, any Host header, which
// fetch does not allow) and a wait for a migration's status on a real dev server.
import type { Client } from '@temporalio/client';
import { request } from 'node:http';
import { statusQuery, type MigrationStatus } from '../../workflows/status';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function http(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls the status query until `ready` (the dev server does not skip time). */
export async function waitForStatus(client: Client, workflowId: string, ready: (s: MigrationStatus) => boolean, timeoutMs = 60_000): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .catch(() => undefined);
    if (s && ready(s)) return s;
    if (Date.now() > deadline) throw new Error(`workflow ${workflowId} never reached the expected state; last phase ${s?.phase}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
