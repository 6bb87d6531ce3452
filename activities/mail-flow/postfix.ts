// The Postfix commands the hold and release run, on a worker beside host1's MTA (as root:
// postqueue and postsuper refuse other users). Never through a shell: arguments are arrays,
// and addresses are validated before they reach a map (hold-schema.ts).
// What was checked on a real Postfix: ../../shared/recipes/postfix.md (/work/shared/recipes).
import { execFile } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/activity';

export interface QueuedMessage {
  queue: string;
  id: string;
  /** Undelivered recipients, lower-cased. */
  recipients: string[];
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as Omit<NodeJS.ErrnoException, 'code'> & { code?: number | string };
      if (e.code === 'ENOENT') {
        reject(ApplicationFailure.nonRetryable(`${command} not found on this worker: it must run beside host1's Postfix`, 'MailFlowPostfixMissing'));
      } else
        reject(
          ApplicationFailure.retryable(
            `${command} ${args.join(' ')} failed (${e.code ?? e.message}): ${String(stderr).trim().slice(-500)}`,
            'MailFlowPostfixFailed',
          ),
        );
    });
  });
}

/** Rebuilds a hash map and reloads: an idle smtpd keeps the old map without the reload (recipe §3). */
export async function applyMaps(configDir: string, maps: string[]): Promise<void> {
  for (const map of maps) await run('postmap', ['-c', configDir, `hash:${map}`]);
  await run('postfix', ['-c', configDir, 'reload']);
}

/** Refuses to go on when main.cf does not consult the maps: a hold that holds nothing would let mail reach host1 after its final sync. */
export async function checkWiring(configDir: string, holdMap: string, transportMap: string): Promise<void> {
  const out = await run('postconf', ['-c', configDir, '-h', 'smtpd_recipient_restrictions', 'transport_maps']);
  const [restrictions = '', transports = ''] = out.split('\n');
  const problems = [
    new RegExp(`check_recipient_access\\s+hash:${escape(holdMap)}(\\s|,|$)`).test(restrictions)
      ? ''
      : `smtpd_recipient_restrictions lacks "check_recipient_access hash:${holdMap}"`,
    new RegExp(`hash:${escape(transportMap)}(\\s|,|$)`).test(transports) ? '' : `transport_maps lacks "hash:${transportMap}"`,
  ].filter(Boolean);
  if (problems.length)
    throw ApplicationFailure.nonRetryable(`Postfix ${configDir} is not set up for holding mail: ${problems.join('; ')}`, 'MailFlowNotConfigured');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `postqueue -j`: one JSON object per line, only undelivered recipients listed (recipe §4). */
export async function listQueue(configDir: string): Promise<QueuedMessage[]> {
  const out = await run('postqueue', ['-c', configDir, '-j']);
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = JSON.parse(l) as { queue_name: string; queue_id: string; recipients?: { address: string }[] };
      return { queue: m.queue_name, id: m.queue_id, recipients: (m.recipients ?? []).map((r) => r.address.toLowerCase()) };
    });
}

/** Moves messages out of hold (to deferred) and flushes: without the flush they wait for the next queue run (recipe §5). */
export async function releaseHeld(configDir: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 200) await run('postsuper', ['-c', configDir, ...ids.slice(i, i + 200).flatMap((id) => ['-H', id])]);
  await run('postqueue', ['-c', configDir, '-f']);
}
