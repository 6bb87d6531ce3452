// The WAN of `npm run bench:sync -- --wan`: Toxiproxy (built by scripts/install/toxiproxy.sh)
// between the tools and host1, adding latency each way and a bandwidth limit, in user
// space (this kernel has no netem). Driven through its HTTP API.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, waitFor } from '../servers/process';
import type { Endpoint } from './peers';

export interface WanProfile {
  /** Added to every packet in each direction, ms (the round trip gains twice this). */
  latencyMs: number;
  /** Each direction of each connection, Mbit/s (Toxiproxy limits per connection). */
  mbitPerS: number;
}

export interface Toxiproxy {
  /** A proxy to `upstream` with the profile's toxics; resolves to where the tools connect. */
  proxy(name: string, upstream: Endpoint): Promise<Endpoint>;
  stop(): void;
}

export async function startToxiproxy(profile: WanProfile): Promise<Toxiproxy> {
  const root = path.join(__dirname, '../..');
  const server = execFileSync('bash', [path.join(root, 'scripts/install/toxiproxy.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const port = await freePort();
  const child: ChildProcess = spawn(server, ['-host', '127.0.0.1', '-port', String(port)], { stdio: 'ignore' });
  const api = `http://127.0.0.1:${port}`;
  const call = async (method: string, url: string, body: unknown) => {
    const res = await fetch(`${api}${url}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`toxiproxy ${method} ${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  await waitFor('toxiproxy API', async () => (await fetch(`${api}/version`).catch(() => undefined))?.ok === true);
  return {
    async proxy(name, upstream) {
      const created = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: `${upstream.host}:${upstream.port}`, enabled: true });
      for (const stream of ['upstream', 'downstream']) {
        await call('POST', `/proxies/${name}/toxics`, {
          name: `latency-${stream}`,
          type: 'latency',
          stream,
          attributes: { latency: profile.latencyMs, jitter: 0 },
        });
        // Toxiproxy's rate is in KB/s.
        await call('POST', `/proxies/${name}/toxics`, {
          name: `bandwidth-${stream}`,
          type: 'bandwidth',
          stream,
          attributes: { rate: Math.round((profile.mbitPerS * 1e6) / 8 / 1000) },
        });
      }
      const listen = String(created.listen);
      return { host: '127.0.0.1', port: Number(listen.slice(listen.lastIndexOf(':') + 1)) };
    },
    stop: () => {
      child.kill();
    },
  };
}
