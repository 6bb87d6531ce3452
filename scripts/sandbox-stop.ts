// `npm run sandbox:stop`: stops every sandbox server, whichever `npm start` started it.
// Data (.sandbox/) stays: the next `npm start` picks up where this one left off.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readPid, stopPid } from './servers/process';
import { sandbox, type SandboxState } from './sandbox/layout';

async function main(): Promise<void> {
  const state: SandboxState = existsSync(sandbox.stateFile) ? JSON.parse(readFileSync(sandbox.stateFile, 'utf8')) : {};
  await stopPid(state.worker, 30_000); // first: it drains its tasks while the servers are still up
  for (const side of ['host1', 'host2'] as const) {
    const conf = path.join(sandbox[side].dir, 'dovecot.conf');
    if (existsSync(conf)) spawnSync('doveadm', ['-c', conf, 'stop'], { stdio: 'ignore' });
    await stopPid(readPid(path.join(sandbox[side].dir, 'run', 'master.pid')));
  }
  for (const mx of ['mx1', 'mx2']) {
    const conf = path.join(sandbox.mx.dir, mx, 'etc');
    if (existsSync(conf)) spawnSync('postfix', ['-c', conf, 'stop'], { stdio: 'ignore' });
  }
  for (const name of ['smtp', 'dns', 'temporal'] as const) await stopPid(state[name]);
  writeFileSync(sandbox.stateFile, '{}');
  console.log('sandbox stopped (data kept in .sandbox/)');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
