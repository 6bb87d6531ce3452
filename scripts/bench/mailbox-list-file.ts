// A migration's mailboxes as a list file (spec field mailboxList), in Exchange's CSV
// columns (the same login on both hosts), in waves: a small first wave of friendly users (1 %), the others in equal parts.
// The sandbox's demo spec with its mailboxes in such a file. For the scale benches and
// test/workflows/bounds.test.ts.
import { writeFileSync } from 'node:fs';
import type { MigrationSpecInput } from '../../workflows/spec';
import { demoSpec } from '../sandbox/demo-spec';

export interface ListFile {
  /** The waves in order. */
  waves: string[];
  /** Each user's wave. */
  waveOf: Map<string, string>;
}

export function writeMailboxList(file: string, users: string[], o: { waves: number; destinationCredential: (user: string) => string }): ListFile {
  const first = Math.max(1, Math.floor(users.length / 100));
  const rest = Math.ceil((users.length - first) / Math.max(1, o.waves - 1));
  const wave = (i: number) => (i < first ? 'friendly-users' : `wave-${2 + Math.floor((i - first) / rest)}`);
  const rows = users.map((user, i) => `${user},${user},${o.destinationCredential(user)},${wave(i)},${user}@home.example.test`);
  writeFileSync(file, ['EmailAddress,UserName,DestinationPassword,Wave,Contact', ...rows, ''].join('\n'));
  const waveOf = new Map(users.map((user, i) => [user, wave(i)]));
  return { waves: [...new Set(waveOf.values())], waveOf };
}

/** The demo spec with its mailboxes in `listFile` (host1 through its admin, as the sandbox). */
export function listedSpec(listFile: string, migrationAt: Date, concurrency: number, servers?: Parameters<typeof demoSpec>[2]): MigrationSpecInput {
  const { mailboxes, ...spec } = demoSpec('classical', migrationAt, servers);
  const { credential, masterUser, masterUserSeparator } = mailboxes[0].source;
  return {
    ...spec,
    mailboxList: { from: `file:${listFile}`, defaults: { source: { credential, masterUser, masterUserSeparator } } },
    // The shortest TTL the spec allows: the wait after the MX switch.
    dns: { ...spec.dns, lowTtl: 30 },
    sync: { concurrency },
  };
}
