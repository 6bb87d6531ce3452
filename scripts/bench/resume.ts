// The huge profile's crash tests: a first sync killed with SIGKILL once host2's INBOX holds
// 40 % of the messages, then run again, two ways:
//   the command: `mailshift sync` again with the same --state file, as an administrator would;
//   the activity: an attempt of syncMailbox (resume-attempt.ts), then the next attempt with
//   the details of the last heartbeat before the kill, as a Temporal retry gets them.
// Reports what the second run listed and copied, and whether host2 ends with every message once.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FolderSyncResult, SyncCheckpoint, SyncRequest, SyncResult } from '../../activities/imap/types';
import { connectImap, type DovecotServer } from '../servers/dovecot';
import { mailshiftSync, type MailshiftPair } from './mailshift-run';
import { f1, f2, programOutput, seconds, timed, type TimedRun } from './measure';
import type { AttemptJob } from './resume-attempt';
import type { Row } from './report';
import type { Expected } from './seed';
import { compare, readBack } from './verify';

const KILL_AT = 0.4;

interface Crash {
  /** The host2 user it copies into, fresh. */
  user: string;
  password: string;
  /** Starts the first run in a process group of its own. */
  first: (onSpawn: (group: number) => void) => Promise<TimedRun>;
  /** The second run, printing a SyncResult as JSON. */
  again: () => Promise<TimedRun>;
}

interface CrashSetup {
  host2: DovecotServer;
  /** Messages host1's INBOX holds. */
  total: number;
  expected: Expected[];
  log: (line: string) => void;
}

const inboxCount = async (c: Awaited<ReturnType<typeof connectImap>>) => {
  const status = await c.status('INBOX', { messages: true });
  return (status && status.messages) || 0;
};

async function crashAndAgain(s: CrashSetup, crash: Crash, figure: string): Promise<Omit<Row, 'profile'>> {
  s.log(`huge: ${figure}: first sync, SIGKILL at ${KILL_AT * 100} % …`);
  let group = 0;
  let finished = false;
  const killed = crash.first((pid) => (group = pid)).finally(() => (finished = true));
  const watch = await connectImap(s.host2, crash.user, crash.password);
  let sentKill = false;
  let before = 0;
  try {
    while (!finished && (await inboxCount(watch)) < s.total * KILL_AT) await new Promise((r) => setTimeout(r, 200));
    if (!finished) {
      // The whole process group: /usr/bin/time and the program under it.
      process.kill(-group, 'SIGKILL');
      sentKill = true;
    }
    await killed;
    before = await inboxCount(watch);
  } finally {
    await watch.logout();
  }
  s.log(`huge: ${sentKill ? `killed with ${before} messages on host2` : 'the first run ended before the kill'}; running again …`);
  const again = await crash.again();
  if (again.code !== 0) s.log(programOutput(again));
  let inbox: FolderSyncResult | undefined;
  try {
    inbox = (JSON.parse(again.stdout.slice(again.stdout.indexOf('{'))) as SyncResult).folders.find((f) => f.destination === 'INBOX');
  } catch {
    s.log('huge: no JSON result from the second run');
  }
  const check = compare(s.expected, await readBack(s.host2, crash.user, crash.password));
  // Judged against what host2 held when the second run listed it (an APPEND in flight at the kill may land after the count above).
  const clean = sentKill && check.duplicates === 0 && check.missing === 0 && inbox !== undefined && inbox.copied === s.total - inbox.destinationMessages;
  return {
    figure,
    value:
      `${f2(seconds(again))} s, ${f1(again.peakRssMb)} MB; ${before} on host2 after the kill; re-listed host1 ${inbox?.sourceMessages ?? '?'}, host2 ${inbox?.destinationMessages ?? '?'} ` +
      `(${inbox?.mode ?? '?'}${inbox?.fullReason ? `: ${inbox.fullReason}` : ''}${inbox?.resumed ? ', resumed' : ''}); copied ${inbox?.copied ?? '?'}; ` +
      `duplicates ${check.duplicates}, missing ${check.missing}`,
    target: 'nothing copied twice',
    verdict: clean ? 'PASS' : 'MISS',
    peers: '',
  };
}

/** `mailshift sync --state` killed, then run again. */
export const commandCrash = (s: CrashSetup, pair: MailshiftPair, password: string) =>
  crashAndAgain(
    s,
    { user: pair.host2.user, password, first: (onSpawn) => mailshiftSync(pair, ['--json'], onSpawn), again: () => mailshiftSync(pair, ['--json']) },
    'SIGKILL mid-folder, run again (command, --state)',
  );

/** An activity attempt killed, then the next attempt with its last heartbeat's details. */
export async function activityCrash(s: CrashSetup & { dir: string }, request: SyncRequest, password: string): Promise<Omit<Row, 'profile'>> {
  const heartbeatFile = path.join(s.dir, 'attempt-heartbeat.json');
  const attempt = (resume: boolean, onSpawn?: (pid: number) => void) => {
    const job = path.join(s.dir, `attempt-${resume ? 2 : 1}.json`);
    writeFileSync(job, JSON.stringify({ request, heartbeatFile, resume } satisfies AttemptJob));
    return timed(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'resume-attempt.ts'), job], onSpawn);
  };
  let checkpoint = '';
  const row = await crashAndAgain(
    s,
    {
      user: request.destination.login.user,
      password,
      first: (onSpawn) => attempt(false, onSpawn),
      again: () => {
        const cp = readCheckpoint(heartbeatFile);
        const inbox = cp?.folders.some((f) => f.destination === 'INBOX') ? 'INBOX among them' : 'INBOX not among them';
        checkpoint = `; last heartbeat's checkpoint: ${cp ? `${cp.folders.length} finished folders, ${inbox}` : 'none'}`;
        return attempt(true);
      },
    },
    'SIGKILL mid-folder, next attempt (activity, heartbeat checkpoint)',
  );
  return { ...row, value: row.value + checkpoint };
}

function readCheckpoint(file: string): SyncCheckpoint | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { checkpoint?: SyncCheckpoint }).checkpoint;
  } catch {
    return undefined;
  }
}
