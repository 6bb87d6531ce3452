// The world's mail exchangers: mx1 in front of host1 and mx2 in front of host2, each a
// private Postfix delivering by LMTP into its host's Dovecot. Both take mail on the same
// port, each on the loopback address its MX host name resolves to in the world's zone:
// MX records carry no port, so which one gets a domain's mail is the MX record's choice.
import path from 'node:path';
import type { DovecotServer } from './dovecot';
import { freePortOn, startPostfix, type PostfixServer } from './postfix';

export interface MxPairOptions {
  /** mx1/ and mx2/ are made below it. */
  dir: string;
  /** The SMTP port of both (default: one free on both addresses). */
  port?: number;
  domains: string[];
  /** The address each MX listens on, and the Dovecot (started with `lmtp`) it delivers to. */
  mx1: { address: string; host: DovecotServer };
  mx2: { address: string; host: DovecotServer };
}

export interface MxPair {
  port: number;
  mx1: PostfixServer;
  mx2: PostfixServer;
  stop(): Promise<void>;
}

export async function startMxPair(o: MxPairOptions): Promise<MxPair> {
  const port = o.port ?? (await freePortOn([o.mx1.address, o.mx2.address]));
  const start = (name: 'mx1' | 'mx2') => {
    const { address, host } = o[name];
    if (!host.lmtpPort) throw new Error(`${host.name} takes no LMTP: start it with \`lmtp\``);
    return startPostfix({ name, dir: path.join(o.dir, name), address, port, domains: o.domains, lmtp: { host: host.host, port: host.lmtpPort } });
  };
  const mx1 = await start('mx1');
  const mx2 = await start('mx2').catch(async (err: unknown) => {
    await mx1.stop();
    throw err;
  });
  return { port, mx1, mx2, stop: async () => (await mx1.stop(), await mx2.stop()) };
}
