// The PowerDNS provider, through its HTTP API: read the zone's RRsets, then one PATCH
// with changetype REPLACE (or DELETE) for all the changes, which PowerDNS applies in one
// transaction. The API has no conditional update, so the conflict check (current RRsets
// against the expected ones, TTL included) is a read just before the PATCH: a change made
// in between those two requests is not detected (for that, use the rfc2136 provider
// against PowerDNS, whose prerequisites are checked by the server).
import { authRefused, conflict, rejected, unavailable } from './errors';
import type { DnsProvider, RRsetChange } from './provider';
import { normaliseRRset, sameRRset, type RecordType, type RRset } from './records';

export interface PowerDnsOptions {
  apiUrl: string;
  serverId: string;
  /** Normalised: `example.test.` */
  zone: string;
  apiKey: string;
  /** Where the key comes from (`env:PDNS_API_KEY`), for messages. */
  apiKeyRef: string;
  timeoutMs: number;
}

interface ApiRRset {
  name: string;
  type: string;
  ttl: number;
  records: { content: string; disabled?: boolean }[];
}

export class PowerDnsProvider implements DnsProvider {
  readonly zone: string;
  readonly where: string;
  // Private fields: logging or serialising the provider never shows the key.
  readonly #apiKey: string;
  private readonly options: Omit<PowerDnsOptions, 'apiKey'>;
  private readonly base: string;

  constructor({ apiKey, ...options }: PowerDnsOptions) {
    this.zone = options.zone;
    this.#apiKey = apiKey;
    this.options = options;
    // Only the origin goes into messages: a URL may carry credentials.
    const url = new URL(options.apiUrl);
    this.where = `the PowerDNS API at ${url.origin}`;
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}/api/v1/servers/${encodeURIComponent(options.serverId)}`;
  }

  private async call(method: 'GET' | 'PATCH', path: string, doing: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { 'x-api-key': this.#apiKey, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${this.options.timeoutMs} ms`
          : e.cause?.code === 'ECONNREFUSED'
            ? 'connection refused'
            : (e.cause?.code ?? e.message);
      throw unavailable(`cannot reach ${this.where} (${doing}): ${why}`);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return text ? JSON.parse(text) : undefined;
    const said = this.redact(this.errorText(text)).slice(0, 300);
    if (res.status === 401 || res.status === 403) {
      throw authRefused(`${this.where} refused the API key from ${this.options.apiKeyRef} (${res.status}${said ? `: ${said}` : ''})`);
    }
    if (res.status === 404) throw rejected(`${this.where} has no zone ${this.zone} on server ${this.options.serverId} (404${said ? `: ${said}` : ''})`);
    if (res.status >= 500 || res.status === 429) throw unavailable(`${this.where} failed while ${doing} (${res.status}${said ? `: ${said}` : ''})`);
    throw rejected(`${this.where} rejected ${doing} (${res.status}${said ? `: ${said}` : ''})`);
  }

  private errorText(text: string): string {
    try {
      return String((JSON.parse(text) as { error?: unknown }).error ?? text);
    } catch {
      return text;
    }
  }

  private redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('[redacted]') : text;
  }

  private zonePath(): string {
    return `/zones/${encodeURIComponent(this.zone)}`;
  }

  private async zoneRRsets(doing: string): Promise<ApiRRset[]> {
    const zone = (await this.call('GET', this.zonePath(), doing)) as { rrsets?: ApiRRset[] };
    return zone.rrsets ?? [];
  }

  private static pick(rrsets: ApiRRset[], name: string, type: RecordType): RRset | null {
    const found = rrsets.find((r) => r.name.toLowerCase() === name && r.type === type);
    const values = found?.records.filter((r) => !r.disabled).map((r) => r.content) ?? [];
    return found && values.length ? normaliseRRset({ name, type, ttl: found.ttl, values }) : null;
  }

  async read(name: string, type: RecordType): Promise<RRset | null> {
    return PowerDnsProvider.pick(await this.zoneRRsets(`reading ${name} ${type}`), name, type);
  }

  async replace(changes: RRsetChange[]): Promise<void> {
    if (!changes.length) return;
    const what = changes.map((c) => `${c.name} ${c.type}`).join(', ');
    const rrsets = await this.zoneRRsets(`reading ${what}`);
    const now = changes.map((c) => PowerDnsProvider.pick(rrsets, c.name, c.type));
    if (changes.every((c, i) => sameRRset(now[i], c.next))) return;
    const i = changes.findIndex((c, j) => !sameRRset(now[j], c.expected));
    if (i >= 0) throw conflict(changes[i].name, changes[i].type, changes[i].expected, now[i], this.where);
    await this.call('PATCH', this.zonePath(), `the change of ${what}`, {
      rrsets: changes.map((c) =>
        c.next
          ? { name: c.name, type: c.type, ttl: c.next.ttl, changetype: 'REPLACE', records: c.next.values.map((content) => ({ content, disabled: false })) }
          : { name: c.name, type: c.type, changetype: 'DELETE' },
      ),
    });
  }
}
