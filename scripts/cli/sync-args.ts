// The options of `mailshift sync` (its usage is in sync.ts): the request they describe,
// or a Usage error naming the option and what is wrong with it.
import { parseArgs } from 'node:util';
import type { FolderRules, ImapAccount, SyncRequest } from '../../activities/imap/types';
import { presetFolderRules } from '../../workflows/preset-rules';
import { PROVIDER_PRESETS, PROVIDERS, type Provider } from '../../workflows/provider-presets';

/** A command line that cannot be run: exit code 2 with its message. */
export class Usage extends Error {}

const OPTIONS = {
  host1: { type: 'string' },
  host2: { type: 'string' },
  port1: { type: 'string' },
  port2: { type: 'string' },
  user1: { type: 'string' },
  user2: { type: 'string' },
  'password1-ref': { type: 'string' },
  'password2-ref': { type: 'string' },
  authuser1: { type: 'string' },
  authuser2: { type: 'string' },
  tls1: { type: 'string' },
  tls2: { type: 'string' },
  insecure1: { type: 'boolean' },
  insecure2: { type: 'boolean' },
  folder: { type: 'string', multiple: true },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  maxage: { type: 'string' },
  minage: { type: 'string' },
  maxsize: { type: 'string' },
  provider1: { type: 'string' },
  provider2: { type: 'string' },
  delete1: { type: 'boolean' },
  delete2: { type: 'boolean' },
  dry: { type: 'boolean' },
  justverify: { type: 'boolean' },
  state: { type: 'string' },
  parallel: { type: 'string' },
  'no-multiappend': { type: 'boolean' },
  compress: { type: 'boolean' },
  mailbox: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; args: string[]; strict: true; allowPositionals: false }>>['values'];

function number(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new Usage(`--${name} must be a number >= 0, got "${value}"`);
  return n;
}

function account(v: Values, side: '1' | '2'): ImapAccount {
  const host = v[`host${side}`];
  const user = v[`user${side}`];
  const credential = v[`password${side}-ref`];
  if (!host) throw new Usage(`--host${side} is required`);
  if (!user) throw new Usage(`--user${side} is required`);
  if (!credential) throw new Usage(`--password${side}-ref is required (env:NAME or file:/path)`);
  if (!/^(env|file):./.test(credential)) throw new Usage(`--password${side}-ref must be a reference, env:NAME or file:/path (never the password itself)`);
  const tls = (v[`tls${side}`] ?? 'implicit') as ImapAccount['endpoint']['tls'];
  if (!['implicit', 'starttls', 'none'].includes(tls)) throw new Usage(`--tls${side} must be implicit, starttls or none`);
  const port = number(v[`port${side}`], `port${side}`, true) ?? (tls === 'implicit' ? 993 : 143);
  if (port < 1 || port > 65535) throw new Usage(`--port${side} must be a TCP port`);
  const admin = v[`authuser${side}`];
  return {
    endpoint: { host, port, tls, ...(v[`insecure${side}`] && { verifyCertificate: false }) },
    login: { user, credential, ...(admin && { masterUser: admin }) },
  };
}

function provider(v: Values, side: '1' | '2'): Provider {
  const name = v[`provider${side}`] ?? 'generic';
  if (!(PROVIDERS as readonly string[]).includes(name)) throw new Usage(`--provider${side} must be one of ${PROVIDERS.join(', ')}`);
  return name as Provider;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The request the options describe (exported for tests). */
export function requestFromArgs(argv: string[]): { request: SyncRequest; values: Values } {
  let values: Values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new Usage((err as Error).message);
  }
  if (values.help) return { request: undefined as unknown as SyncRequest, values };
  const source = account(values, '1');
  const destination = account(values, '2');
  if (values.justverify && (values.delete1 || values.delete2 || values.dry))
    throw new Usage('--justverify copies and deletes nothing: it takes no --dry, --delete1 or --delete2');
  const include = [...(values.folder ?? []).map((f) => `^${escapeRegex(f.replace(/^\/+|\/+$/g, ''))}$`), ...(values.include ?? [])];
  const parallel = number(values.parallel, 'parallel', true);
  if (parallel !== undefined && (parallel < 1 || parallel > 8)) throw new Usage('--parallel must be from 1 to 8');
  for (const p of [...include, ...(values.exclude ?? [])]) {
    try {
      new RegExp(p);
    } catch {
      throw new Usage(`not a valid regular expression: ${p}`);
    }
  }
  const [provider1, provider2] = [provider(values, '1'), provider(values, '2')];
  const presets = provider1 !== 'generic' || provider2 !== 'generic';
  let folders: FolderRules | undefined;
  if (presets) folders = presetFolderRules({ include, exclude: values.exclude ?? [], rename: {} }, provider1, provider2);
  else if (include.length || values.exclude) folders = { ...(include.length && { include }), ...(values.exclude && { exclude: values.exclude }) };
  const request: SyncRequest = {
    mailbox: values.mailbox ?? source.login.user,
    source,
    destination,
    ...(folders && { folders }),
    maxAgeDays: number(values.maxage, 'maxage', false),
    minAgeDays: number(values.minage, 'minage', false),
    maxSizeBytes: number(values.maxsize, 'maxsize', true) ?? PROVIDER_PRESETS[provider2].limits.maxMessageBytes,
    deleteOnDestination: !!values.delete2,
    deleteOnSource: !!values.delete1,
    dryRun: !!values.dry,
    tuning: {
      ...(parallel && { parallelFolders: parallel }),
      ...(values['no-multiappend'] && { multiappend: false }),
      ...(values.compress && { compress: true }),
    },
  };
  return { request, values };
}
