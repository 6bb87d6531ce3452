// `mailshift sync`: the sync engine for one mailbox pair, without Temporal: what an
// administrator runs to try a pair before a migration (imapsync's command line, mostly),
// and what the benchmark times.
//
//   mailshift sync --host1 old.example --user1 alice --password1-ref env:H1_ALICE \
//                  --host2 new.example --user2 alice --password2-ref file:/run/secrets/alice \
//                  [--dry] [--delete2] [--delete1] [--folder INBOX]... [--exclude REGEX]...
//                  [--maxage DAYS] [--minage DAYS] [--maxsize BYTES] [--justverify] [--json]
//                  [--state FILE] [--provider1 gmail] [--provider2 microsoft365]
//
// Passwords are never given on the command line (other users see it in `ps`): only
// credential references, `env:NAME` or `file:/path`, as the workflows take them.
// --state FILE keeps the incremental state between runs (read when the file exists, written
// after every real sync): a re-run where nothing changed then costs one LIST-STATUS per
// server. Without it every run compares everything (and is still safe to repeat).
// A progress line with counts, rate and ETA goes to stderr when stderr is a terminal.
//
// Exit codes:
//   0  done: host2 has everything in scope (sync), or both sides agree (--justverify)
//   1  differences: --justverify found messages or folders missing on host2, or host2
//      refused some messages during the sync (listed in the output)
//   2  usage error (unknown option, missing value, bad number or pattern)
//   3  authentication or configuration: wrong password, unknown mailbox, unresolvable
//      credential reference, TLS/certificate failure, host2 over quota (retrying will not help)
//   4  server or network: cannot connect, connection lost, a command failed (retrying may help)
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { TemporalFailure, ApplicationFailure } from '@temporalio/common';
import { syncMailbox, verifyMailbox } from '../../activities/imap/sync-mailbox';
import type { SyncProgress, SyncResult, SyncState, VerifyResult } from '../../activities/imap/types';
import { requestFromArgs, Usage } from './sync-args';

export const SYNC_EXIT = { ok: 0, differences: 1, usage: 2, config: 3, server: 4 } as const;

export const SYNC_HELP = `usage: mailshift sync --host1 HOST --user1 USER --password1-ref REF --host2 HOST --user2 USER --password2-ref REF [options]

  --host1/--host2 HOST          IMAP servers (host1: copy from; host2: copy to)
  --port1/--port2 N             default 993 with implicit TLS, else 143
  --user1/--user2 USER          mailbox logins
  --password1-ref/--password2-ref REF
                                credential reference: env:NAME or file:/path (never the password)
  --authuser1/--authuser2 ADMIN log in as this admin (SASL PLAIN authzid) for USER's mailbox
  --tls1/--tls2 MODE            implicit (default), starttls, none
  --insecure1/--insecure2       do not verify the server certificate
  --folder NAME                 only this folder (logical name, "/" between levels); repeatable
  --include REGEX/--exclude REGEX  folder patterns; repeatable
  --maxage DAYS/--minage DAYS   only messages at most / at least DAYS old
  --maxsize BYTES               only messages of at most BYTES
  --provider1/--provider2 NAME  gmail, microsoft365, dovecot or generic (default): the
                                spec's provider presets (folders left out, role folders,
                                host2's size limit); --exclude and --maxsize add or override
  --delete2                     delete on host2 what is not on host1 (in scope)
  --delete1                     delete on host1 what is verified on host2 (in scope)
  --dry                         report what would be done, change nothing
  --justverify                  compare both sides by message identity, copy nothing
  --state FILE                  incremental state between runs (read, then rewritten)
  --parallel N                  folders at once (default 4); --no-multiappend: one APPEND per message
  --compress                    COMPRESS=DEFLATE with servers that offer it (for slow links)
  --mailbox LABEL               name in reports (default: user1)
  --json                        the full result as JSON on stdout

exit codes: 0 ok, 1 differences found (verify) or messages refused by host2,
            2 usage error, 3 authentication/configuration error, 4 server/network error`;

export interface SyncCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Draw the progress line (default: stderr is a TTY). */
  progress?: boolean;
  /** Where the progress line is drawn (default process.stderr.write). */
  writeProgress?: (text: string) => void;
}

const processIo = (): SyncCliIo => ({
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  progress: !!process.stderr.isTTY,
  writeProgress: (text) => process.stderr.write(text),
});

function readState(file: string): SyncState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SyncState;
  } catch {
    return undefined; // unreadable: a full comparison, and the file is rewritten afterwards
  }
}

function writeState(file: string, state: SyncState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, file);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const clock = (s: number) => {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

/** One progress line: folders, messages, bytes, rate and the ETA (exported for tests). */
export function progressLine(p: SyncProgress, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? p.bytesCopied / seconds : 0;
  let eta = '';
  if (p.phase === 'messages' && p.bytesCopied > 0 && p.foldersTotal > 0) {
    // Bytes still to copy in the folders compared so far; folders not compared yet are
    // assumed like the average of those done.
    const left = Math.max(0, p.bytesToCopy - p.bytesCopied) / rate;
    const unseen = p.foldersDone > 0 ? (elapsedMs / 1000 / p.foldersDone) * Math.max(0, p.foldersTotal - p.foldersDone - 1) : 0;
    eta = `  ETA ${clock(Math.max(left, unseen))}`;
  }
  return (
    `folders ${p.foldersDone}/${p.foldersTotal}  copied ${p.copied}/${p.toCopy} msgs  ${mb(p.bytesCopied)}` +
    `  ${(rate / 1e6).toFixed(1)} MB/s  flags ${p.flagsUpdated}  deleted ${p.deletedOnDestination + p.deletedOnSource}${eta}`
  );
}

function exitCodeOf(err: unknown): number {
  if (err instanceof ApplicationFailure) return err.nonRetryable ? SYNC_EXIT.config : SYNC_EXIT.server;
  if (err instanceof TemporalFailure) return SYNC_EXIT.server;
  return SYNC_EXIT.server;
}

function syncSummary(r: SyncResult): string[] {
  const lines = [
    `${r.dryRun ? 'dry run: would copy' : 'copied'} ${r.totals.copied} messages (${mb(r.totals.bytesCopied)}) in ${(r.durationMs / 1000).toFixed(2)} s`,
  ];
  lines.push(
    `  flags updated ${r.totals.flagsUpdated}, deleted on host2 ${r.totals.deletedOnDestination}, deleted on host1 ${r.totals.deletedOnSource}, skipped ${r.totals.skipped}; ` +
      `host1 ${r.totals.sourceMessages} / host2 ${r.totals.destinationMessages} messages in scope before`,
  );
  for (const f of r.folders) {
    const did = [
      f.copied && `copied ${f.copied}`,
      f.flagsUpdated && `flags ${f.flagsUpdated}`,
      f.deletedOnDestination && `deleted2 ${f.deletedOnDestination}`,
      f.deletedOnSource && `deleted1 ${f.deletedOnSource}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${f.source.join(' + ')} -> ${f.destination}${f.created ? ' (created)' : ''}: ${f.sourceMessages} msgs, ${did || 'nothing to do'} [${f.mode}]`,
    );
    for (const w of f.warnings ?? []) lines.push(`    warning: ${w}`);
  }
  if (r.excludedFolders.length) lines.push(`  excluded: ${r.excludedFolders.join(', ')}`);
  return lines;
}

function verifySummary(v: VerifyResult): string[] {
  const lines = [
    `${v.ok ? 'host2 has everything' : 'differences found'}: missing on host2 ${v.missing}, extra on host2 ${v.extra}, flag differences ${v.flagMismatches}`,
  ];
  for (const f of v.folders) {
    lines.push(
      `  ${f.source.join(' + ')} -> ${f.destination}: host1 ${f.sourceMessages}, host2 ${f.existsOnDestination ? f.destinationMessages : '(no folder)'}` +
        `, missing ${f.missing}, extra ${f.extra}, flags ${f.flagMismatches}`,
    );
    for (const m of f.missingSample.slice(0, 5)) lines.push(`    missing: UID ${m.uid} ${m.messageId ?? '(no Message-ID)'} ${m.size} bytes ${m.internalDate}`);
  }
  if (v.destinationOnlyFolders.length) lines.push(`  only on host2: ${v.destinationOnlyFolders.join(', ')}`);
  return lines;
}

export async function syncCommand(argv: string[], io: SyncCliIo = processIo()): Promise<number> {
  let parsed: ReturnType<typeof requestFromArgs>;
  try {
    parsed = requestFromArgs(argv);
  } catch (err) {
    if (!(err instanceof Usage)) throw err;
    io.err(`mailshift sync: ${err.message}\n\n${SYNC_HELP}`);
    return SYNC_EXIT.usage;
  }
  const { request, values } = parsed;
  if (values.help) {
    io.out(SYNC_HELP);
    return SYNC_EXIT.ok;
  }
  const started = Date.now();
  const draw = io.progress ? (io.writeProgress ?? ((t: string) => process.stderr.write(t))) : undefined;
  let drawn = false;
  const onProgress = draw
    ? (p: SyncProgress) => {
        drawn = true;
        draw(`\r\x1b[2K${progressLine(p, Date.now() - started)}`);
      }
    : undefined;
  const endLine = () => {
    if (draw && drawn) draw('\n');
  };
  try {
    if (values.justverify) {
      const verified = await verifyMailbox(request, onProgress);
      endLine();
      if (values.json) io.out(JSON.stringify(verified, null, 2));
      else for (const l of verifySummary(verified)) io.out(l);
      return verified.ok ? SYNC_EXIT.ok : SYNC_EXIT.differences;
    }
    if (values.state) request.previous = readState(values.state);
    const result = await syncMailbox(request, onProgress);
    endLine();
    if (values.state && !result.dryRun) writeState(values.state, result.state);
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else for (const l of syncSummary(result)) io.out(l);
    const refused = result.folders.reduce((n, f) => n + (f.skipped['rejected-by-destination'] ?? 0), 0);
    return refused ? SYNC_EXIT.differences : SYNC_EXIT.ok;
  } catch (err) {
    endLine();
    // Our failures carry only our own words and redacted server text: safe to print.
    const message = err instanceof Error ? err.message : String(err);
    const type = err instanceof ApplicationFailure && err.type ? ` [${err.type}]` : '';
    io.err(`mailshift sync: ${message}${type}`);
    return exitCodeOf(err);
  }
}

/** The command as a program: runs it, then exits with its code. */
export function runSyncCommand(argv: string[]): void {
  syncCommand(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`mailshift sync: ${(err as Error).message}\n`);
      process.exit(SYNC_EXIT.server);
    },
  );
}
