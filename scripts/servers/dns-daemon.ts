// What the authoritative DNS test servers (Knot, BIND) share: the zone file they start
// from, the TSIG key file (BIND's format, read by nsupdate -k and our providers), and
// starting the daemon until it answers the zone's SOA.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { writeSecretFile } from './private-files';
import { stopPid, waitFor } from './process';

/** The zone: SOA, NS ns1 (127.0.0.1), then the caller's records. */
export const zoneFileText = (zone: string, records: string) =>
  `$ORIGIN ${zone}.\n$TTL 3600\n@ 3600 IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 900 604800 300\n` +
  `@ 3600 IN NS ns1.${zone}.\nns1 3600 IN A 127.0.0.1\n${records}\n`;

/** The TSIG key in BIND's format (`nsupdate -k`), its owner's alone. */
export function writeKeyFile(file: string, key: { name: string; algorithm: string; secret: string }): void {
  writeSecretFile(file, `key "${key.name}" {\n  algorithm ${key.algorithm};\n  secret "${key.secret}";\n};\n`);
}

/** Starts the daemon detached (output to `logFile`) and waits until it serves the zone; returns its PID. */
export async function spawnAuthoritative(o: { what: string; command: string; args: string[]; logFile: string; port: number; zone: string }): Promise<number> {
  const log = openSync(o.logFile, 'a');
  const child = spawn(o.command, o.args, { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  const pid = child.pid!;
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([`127.0.0.1:${o.port}`]);
  try {
    await waitFor(`${o.what} on port ${o.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${o.command} exited`);
      return (await resolver.resolveSoa(o.zone)).nsname === `ns1.${o.zone}`;
    });
  } catch (err) {
    await stopPid(pid);
    throw new Error(`${(err as Error).message}\n${readFileSync(o.logFile, 'utf8').slice(-2000)}`);
  }
  return pid;
}
