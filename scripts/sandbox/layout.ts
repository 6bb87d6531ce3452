// Where the sandbox keeps its servers, and on which loopback ports they listen.
import path from 'node:path';
import { projectRoot } from '../tools';

export const sandboxDir = path.join(projectRoot, '.sandbox');

export const sandbox = {
  dir: sandboxDir,
  stateFile: path.join(sandboxDir, 'state.json'),
  temporal: { port: 7233, uiPort: 8233, dbFile: path.join(sandboxDir, 'temporal.db'), logFile: path.join(sandboxDir, 'temporal.log') },
  host1: { port: 1143, lmtpPort: 1124, dir: path.join(sandboxDir, 'host1') },
  host2: { port: 2143, lmtpPort: 2124, dir: path.join(sandboxDir, 'host2') },
  /** mx1 (in front of host1) and mx2 (host2) take mail on this port, each on its MX host's address. */
  mx: { port: 2500, dir: path.join(sandboxDir, 'mx') },
  dns: { port: 5300, dir: path.join(sandboxDir, 'dns'), zone: 'example.test' },
  smtp: { port: 2525, outbox: path.join(sandboxDir, 'outbox'), logFile: path.join(sandboxDir, 'smtp.log') },
  secretsDir: path.join(sandboxDir, 'secrets'),
};

/** Where the demo zone's MX hosts point: each one's Postfix listens there (scripts/servers/mx-pair.ts). */
/** hold: the holding relay of scenario hold-and-release (tests only; the sandbox runs none). */
export const mxAddresses = { mail1: '127.0.0.1', mail2: '127.0.0.2', hold: '127.0.0.3' };

/**
 * The demo zone: the MX and the IMAP host name point to host1 (127.0.0.1) for now. Its
 * TTL is 10 minutes (not a day) so that a sandbox migration reaches its cut-over while
 * the operator watches; the runbook's own defaults (300 s low, 86400 s restored) stand.
 */
export const demoZoneRecords = `@ 600 IN MX 10 mail1.example.test.
mail1 600 IN A ${mxAddresses.mail1}
mail2 600 IN A ${mxAddresses.mail2}
imap 600 IN A 127.0.0.1
`;

/** PIDs of the servers the sandbox started (Dovecot keeps its own master.pid). */
export interface SandboxState {
  worker?: number;
  temporal?: number;
  dns?: number;
  smtp?: number;
}
