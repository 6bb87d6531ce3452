// The migration spec the sandbox prints for the Temporal UI's Start Workflow form:
// the demo users from host1 to host2, DNS on the sandbox's Knot, notices to its SMTP
// receiver. Credentials are file references into .sandbox/secrets.
import path from 'node:path';
import type { MigrationSpecInput } from '../../workflows/spec';
import { demoUsers } from './demo-mailboxes';
import { sandbox } from './layout';

export function demoSpec(scenario: 'classical' | 'lucky', migrationAt: Date): MigrationSpecInput {
  const secret = (name: string) => `file:${path.join(sandbox.secretsDir, name)}`;
  const lucky = scenario === 'lucky';
  return {
    name: `sandbox-${scenario}`,
    scenario,
    host1: { host: lucky ? 'imap.example.test' : '127.0.0.1', port: sandbox.host1.port, tls: 'none', ...(lucky && { syncAddress: '127.0.0.1' }) },
    host2: { host: lucky ? 'imap.example.test' : '127.0.0.1', port: sandbox.host2.port, tls: 'none', ...(lucky && { syncAddress: '127.0.0.1' }) },
    mailboxes: demoUsers.map((user, i) => ({
      source: { user, credential: secret(`host1-${user}`) },
      destination: { user, credential: secret(`host2-${user}`) },
      wave: i === 0 ? 'friendly-users' : 'everyone',
      contact: `${user}@home.example.test`,
    })),
    dns: {
      provider: { kind: 'rfc2136', server: '127.0.0.1', port: sandbox.dns.port, tsigKey: `file:${path.join(sandbox.dns.dir, 'tsig.key')}` },
      zone: sandbox.dns.zone,
      mx: { name: 'example.test.', host2: ['10 mail2.example.test.'] },
      ...(lucky && { imapHost: { name: 'imap.example.test.', host2Addresses: ['127.0.0.2'] } }),
    },
    schedule: { migrationAt: migrationAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    approvals: { approvers: ['operator'] },
    notifications: {
      from: 'mailshift@example.test',
      approverEmails: ['operator@example.test'],
      smtp: { host: '127.0.0.1', port: sandbox.smtp.port, tls: 'none' },
    },
  };
}
