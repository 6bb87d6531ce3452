// Run by ports.test.ts inside a network namespace whose kernel has one port to give a
// listener: picks the ports the tests' servers pick, starts Dovecot with IMAP and LMTP, and
// prints what it got as JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDovecot } from '../../scripts/servers/dovecot';
import { freePort, freePorts } from '../../scripts/servers/process';

async function main() {
  const twice = [await freePort(), await freePort()];
  const pair = await freePorts(2);
  const dir = mkdtempSync(path.join(tmpdir(), 'mailshift-ports-'));
  try {
    const dovecot = await startDovecot({ name: 'ports', dir, layout: 'slash-no-prefix', users: [{ user: 'alice', password: 'Pw-ports-1' }], lmtp: true });
    await dovecot.stop();
    console.log(JSON.stringify({ twice, pair, imap: dovecot.port, lmtp: dovecot.lmtpPort }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
