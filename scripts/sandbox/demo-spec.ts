// The demo migration spec: the demo users from host1 to host2, DNS on a Knot server,
// notices to an SMTP receiver, access cut with host1's Dovecot deny list, and a canary
// through the MX once it is switched (to alice@example.test). The sandbox
// prints it for the Temporal UI's Start Workflow form; the end-to-end tests run it
// against their own servers. Credentials are file references, never values.
import path from 'node:path';
import type { ListedSpecInput } from '../../workflows/spec';
import { demoUsers } from './demo-mailboxes';
import { sandbox } from './layout';

/** Where the demo's servers and secrets are. */
export interface DemoServers {
  host1Port: number;
  host2Port: number;
  /** host1's Dovecot directory: its deny list and config (doveadm kick). */
  host1Dir: string;
  dnsPort: number;
  tsigKeyFile: string;
  smtpPort: number;
  /** The port the demo zone's MX hosts take mail on: the runbook's canary goes there (none without it). */
  mxPort?: number;
  /** Files host1-admin and host2-<user> hold the passwords. */
  secretsDir: string;
}

export const sandboxServers: DemoServers = {
  host1Port: sandbox.host1.port,
  host2Port: sandbox.host2.port,
  host1Dir: sandbox.host1.dir,
  dnsPort: sandbox.dns.port,
  tsigKeyFile: path.join(sandbox.dns.dir, 'tsig.key'),
  smtpPort: sandbox.smtp.port,
  mxPort: sandbox.mx.port,
  secretsDir: sandbox.secretsDir,
};

export function demoSpec(scenario: 'classical' | 'lucky' | 'mx-first', migrationAt: Date, servers: DemoServers = sandboxServers): ListedSpecInput {
  const secret = (name: string) => `file:${path.join(servers.secretsDir, name)}`;
  const lucky = scenario === 'lucky';
  const host = lucky ? 'imap.example.test' : '127.0.0.1';
  return {
    name: `sandbox-${scenario}`,
    scenario,
    host1: { host, port: servers.host1Port, tls: 'none', ...(lucky && { syncAddress: '127.0.0.1' }) },
    host2: { host, port: servers.host2Port, tls: 'none', ...(lucky && { syncAddress: '127.0.0.1' }) },
    mailboxes: demoUsers.map((user, i) => ({
      // host1 through its admin: users are locked out of host1 from the cut-over on.
      source: { user, credential: secret('host1-admin'), masterUser: 'admin', masterUserSeparator: '*' },
      destination: { user, credential: secret(`host2-${user}`) },
      wave: i === 0 ? 'friendly-users' : 'everyone',
      contact: `${user}@home.example.test`,
    })),
    dns: {
      provider: { kind: 'rfc2136', server: '127.0.0.1', port: servers.dnsPort, tsigKey: `file:${servers.tsigKeyFile}` },
      zone: 'example.test',
      mx: { name: 'example.test.', host2: ['10 mail2.example.test.'] },
      ...(lucky && { imapHost: { name: 'imap.example.test.', host2Addresses: ['127.0.0.2'] } }),
    },
    ...(servers.mxPort && { mailFlow: { canary: { smtpPort: servers.mxPort } } }),
    schedule: { migrationAt: migrationAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    // mx-first leaves host1 readable: no access to cut.
    access:
      scenario === 'mx-first'
        ? { method: 'notify-only' }
        : { method: 'dovecot-deny-list', denyFile: path.join(servers.host1Dir, 'deny'), doveadmConfig: path.join(servers.host1Dir, 'dovecot.conf') },
    approvals: { approvers: ['operator'] },
    notifications: {
      from: 'mailshift@example.test',
      approverEmails: ['operator@example.test'],
      smtp: { host: '127.0.0.1', port: servers.smtpPort, tls: 'none' },
      helpContact: 'the IT desk, phone 555-0100',
    },
  };
}
