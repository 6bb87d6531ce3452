// The huge profile's crash test: `mailshift sync` killed with SIGKILL once host2's INBOX
// holds 40 % of the messages, then run again with the same --state file, as an
// administrator would. Reports what the second run listed and copied, and whether host2
// ends with every message exactly once. (The heartbeat checkpoint a Temporal retry
// resumes from is the activity's; the command has only its --state file.)
import { existsSync } from 'node:fs';
import type { FolderSyncResult, SyncResult } from '../../activities/imap/types';
import { connectImap, type DovecotServer } from '../servers/dovecot';
import { mailshiftSync, type MailshiftPair } from './mailshift-run';
import { f2, programOutput, seconds } from './measure';
import type { Row } from './report';
import type { Expected } from './seed';
import { compare, readBack } from './verify';

export interface ResumeSetup {
  host2: DovecotServer;
  host2Passwords: { resume: string };
  pair: MailshiftPair;
  /** Messages host1's INBOX holds. */
  total: number;
  expected: Expected[];
  log: (line: string) => void;
}

const KILL_AT = 0.4;

async function inboxCount(c: Awaited<ReturnType<typeof connectImap>>): Promise<number> {
  const status = await c.status('INBOX', { messages: true });
  return (status && status.messages) || 0;
}

export async function killedAndResumed(s: ResumeSetup): Promise<Omit<Row, 'profile'>> {
  s.log(`huge: mailshift first sync into another user, SIGKILL at ${KILL_AT * 100} % …`);
  let group = 0;
  const killed = mailshiftSync(s.pair, ['--json'], (pid) => (group = pid));
  const watch = await connectImap(s.host2, 'resume', s.host2Passwords.resume);
  let before = 0;
  let sentKill = false;
  try {
    let finished = false;
    void killed.then(() => (finished = true));
    while (!finished && (await inboxCount(watch)) < s.total * KILL_AT) await new Promise((r) => setTimeout(r, 200));
    if (!finished) {
      // The whole process group: /usr/bin/time and mailshift under it.
      process.kill(-group, 'SIGKILL');
      sentKill = true;
    }
    const first = await killed;
    if (!sentKill) s.log(`huge: the run ended before it was killed (exit ${first.code})`);
    before = await inboxCount(watch);
  } finally {
    await watch.logout();
  }
  const stateWritten = existsSync(s.pair.state);
  s.log(`huge: killed with ${before} messages on host2; state file ${stateWritten ? 'written' : 'not written'}; running again …`);
  const again = await mailshiftSync(s.pair, ['--json']);
  if (again.code !== 0) s.log(programOutput(again));
  let inbox: FolderSyncResult | undefined;
  try {
    inbox = (JSON.parse(again.stdout.slice(again.stdout.indexOf('{'))) as SyncResult).folders.find((f) => f.destination === 'INBOX');
  } catch {
    s.log(`huge: no JSON result from the second run`);
  }
  const check = compare(s.expected, await readBack(s.host2, 'resume', s.host2Passwords.resume));
  // What host2 held when the second run listed it (an APPEND in flight at the kill may land after it).
  const clean = sentKill && check.duplicates === 0 && check.missing === 0 && inbox !== undefined && inbox.copied === s.total - inbox.destinationMessages;
  return {
    figure: 'SIGKILL mid-folder, run again (command, --state)',
    value:
      `${f2(seconds(again))} s; ${before} on host2 after the kill; re-listed host1 ${inbox?.sourceMessages ?? '?'}, host2 ${inbox?.destinationMessages ?? '?'} ` +
      `(${inbox?.mode ?? '?'}${inbox?.fullReason ? `: ${inbox.fullReason}` : ''}); copied ${inbox?.copied ?? '?'}; duplicates ${check.duplicates}, missing ${check.missing}`,
    target: 'nothing copied twice',
    verdict: clean ? 'PASS' : 'MISS',
    peers: '',
  };
}
