// The world's mail exchangers: mx1 in front of host1 and mx2 in front of host2, each a
// private Postfix delivering by LMTP into its host's Dovecot. Both take mail on the same
// port, each on the loopback address its MX host name resolves to in the world's zone:
// MX records carry no port, so which one gets a domain's mail is the MX record's choice.
// Optionally a third, the holding relay (scenario hold-and-release): a Postfix like them,
// delivering into host1 unless mailshift's maps hold or re-route the domain.
import path from 'node:path';
import { freePortOn, startPostfix, type PostfixServer } from './postfix';

export interface MxPairOptions {
  /** mx1/ and mx2/ are made below it. */
  dir: string;
  /** The SMTP port of both (default: one free on both addresses). */
  port?: number;
  domains: string[];
  /** The address each MX listens on, and the LMTP port of the Dovecot it delivers to (on 127.0.0.1). */
  mx1: { address: string; lmtpPort: number };
  mx2: { address: string; lmtpPort: number };
  /** The holding relay's address and the LMTP port it delivers to by default (host1's). */
  relay?: { address: string; lmtpPort: number };
}

export interface MxPair {
  port: number;
  mx1: PostfixServer;
  mx2: PostfixServer;
  /** When asked for: the holding relay. */
  relay?: PostfixServer;
  stop(): Promise<void>;
}

export async function startMxPair(o: MxPairOptions): Promise<MxPair> {
  const port = o.port ?? (await freePortOn([o.mx1.address, o.mx2.address, ...(o.relay ? [o.relay.address] : [])]));
  const start = (name: 'mx1' | 'mx2' | 'relay') => {
    const { address, lmtpPort } = o[name]!;
    return startPostfix({ name, dir: path.join(o.dir, name), address, port, domains: o.domains, lmtp: { host: '127.0.0.1', port: lmtpPort } });
  };
  const started: PostfixServer[] = [];
  const stop = async () => {
    for (const s of started.reverse()) await s.stop();
  };
  try {
    for (const name of ['mx1', 'mx2', ...(o.relay ? ['relay' as const] : [])] as const) started.push(await start(name));
  } catch (err) {
    await stop();
    throw err;
  }
  const [mx1, mx2, relay] = started;
  return { port, mx1, mx2, ...(relay && { relay }), stop };
}
