// Which host1 folder goes to which host2 folder: include/exclude rules, renames, then
// special-use roles (Sent Items → Sent), then the plain name translated to host2's prefix
// and separator. Pure, so every rule is unit-tested without a server.
// Several source folders may land in one destination folder (host1 has both "Sent" and
// "Sent Items"): they are synced as one, so neither looks "extra" to the other and
// delete-on-destination never removes what the other brought.
import { invalidRequest } from './errors';
import { serverPath, type MailFolder, type Namespace } from './folders';
import { SPECIAL_USES, type SpecialUse } from './special-use';
import type { FolderRules } from './types';

export interface FolderPair {
  /** Destination levels and logical name. */
  levels: string[];
  logical: string;
  /** host2's name for it. */
  path: string;
  /** The selectable source folders that feed it (one, or several merged). */
  sources: MailFolder[];
  /** The destination folder as listed, when it exists and holds messages. */
  existing?: MailFolder;
}

export interface FolderPlan {
  pairs: FolderPair[];
  /** Source folders the include/exclude rules left out (logical names). */
  excluded: string[];
  /** Selectable destination folders that no source folder maps to. */
  destinationOnly: string[];
}

/** Fails early (before any connection) on rules that cannot work. */
export function checkFolderRules(rules: FolderRules = {}): void {
  compile(rules.include, 'include');
  compile(rules.exclude, 'exclude');
  for (const [from, to] of Object.entries(rules.rename ?? {})) {
    splitLogical(from);
    splitLogical(to);
  }
  for (const hints of [rules.roles?.source, rules.roles?.destination]) {
    for (const [name, role] of Object.entries(hints ?? {})) {
      splitLogical(name);
      if (!SPECIAL_USES.includes(role)) throw invalidRequest(`folder role for "${name}" is not a special-use role: ${String(role)}`);
    }
  }
}

/**
 * The usual name of a role, for a folder that has its role only from a hint ("[Gmail]/Spam")
 * when host2 has no folder of that role: it lands in "Junk", not in a new "[Gmail]/Spam".
 */
const ROLE_NAMES: Partial<Record<SpecialUse, string>> = { '\\Sent': 'Sent', '\\Drafts': 'Drafts', '\\Trash': 'Trash', '\\Junk': 'Junk' };

interface HintedFolder extends MailFolder {
  /** The role comes from FolderRules.roles, not from the server or the name. */
  specialUseFromHint?: boolean;
}

/** Gives the hinted folders their role, unless their server flags one itself. */
function withHints(folders: MailFolder[], hints: Record<string, SpecialUse> | undefined): HintedFolder[] {
  if (!hints) return folders;
  return folders.map((f) => {
    const role = Object.hasOwn(hints, f.logical) ? hints[f.logical] : undefined;
    return role && !f.specialUseFromServer ? { ...f, specialUse: role, specialUseFromHint: true } : f;
  });
}

function compile(patterns: string[] | undefined, what: string): RegExp[] {
  return (patterns ?? []).map((p) => {
    try {
      return new RegExp(p);
    } catch {
      throw invalidRequest(`folder ${what} pattern is not a valid regular expression: ${p}`);
    }
  });
}

function sameLevel(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

function startsWithLevels(levels: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= levels.length && prefix.every((p, i) => sameLevel(p, levels[i]));
}

/** The destination folder of each role: a server flag beats a well-known name; shallower wins. */
function rolesOn(folders: HintedFolder[]): Map<SpecialUse, MailFolder> {
  const byRole = new Map<SpecialUse, MailFolder>();
  const rank = (f: HintedFolder) => (f.specialUseFromServer || f.specialUseFromHint ? 0 : 1000) + f.levels.length;
  for (const f of folders) {
    if (!f.specialUse) continue;
    const held = byRole.get(f.specialUse);
    if (!held || rank(f) < rank(held)) byRole.set(f.specialUse, f);
  }
  return byRole;
}

export function planFolders(listedSource: MailFolder[], listedDestination: MailFolder[], destinationNamespace: Namespace, rules: FolderRules = {}): FolderPlan {
  const source = withHints(listedSource, rules.roles?.source);
  const destination = withHints(listedDestination, rules.roles?.destination);
  const include = compile(rules.include, 'include');
  const exclude = compile(rules.exclude, 'exclude');
  const renames = Object.entries(rules.rename ?? {})
    .map(([from, to]) => ({ from: splitLogical(from), to: splitLogical(to) }))
    .sort((a, b) => b.from.length - a.from.length); // most specific rule first
  const sourceByLogical = new Map(source.map((f) => [f.logical, f]));
  const destinationRoles = rolesOn(destination);
  const destinationByPath = new Map(destination.map((f) => [f.path, f]));

  const excluded: string[] = [];
  const pairs = new Map<string, FolderPair>();

  for (const folder of source) {
    if (!folder.selectable) continue; // a container: its children are listed on their own
    if ((include.length && !include.some((r) => r.test(folder.logical))) || exclude.some((r) => r.test(folder.logical))) {
      excluded.push(folder.logical);
      continue;
    }
    const levels = destinationLevels(folder.levels, renames, sourceByLogical, destinationRoles);
    const path = serverPath(levels, destinationNamespace);
    const key = path.toUpperCase() === 'INBOX' ? 'INBOX' : path;
    let pair = pairs.get(key);
    if (!pair) {
      const listed = destinationByPath.get(path) ?? (key === 'INBOX' ? destination.find((f) => f.path.toUpperCase() === 'INBOX') : undefined);
      pair = { levels, logical: levels.join('/'), path, sources: [], existing: listed?.selectable ? listed : undefined };
      pairs.set(key, pair);
    }
    pair.sources.push(folder);
  }

  const mapped = new Set([...pairs.values()].map((p) => p.path));
  const destinationOnly = destination
    .filter((f) => f.selectable && !mapped.has(f.path) && !(f.path.toUpperCase() === 'INBOX' && pairs.has('INBOX')))
    .map((f) => f.logical);
  // Parents before children, INBOX first: creation order and report order.
  const ordered = [...pairs.values()].sort((a, b) => compareLevels(a.levels, b.levels));
  return { pairs: ordered, excluded, destinationOnly };
}

function splitLogical(name: string): string[] {
  const levels = name.split('/').filter((l) => l !== '');
  if (!levels.length) throw invalidRequest(`folder rename rule with an empty folder name: "${name}"`);
  return levels;
}

/** Rename rules first (explicit wins), then roles, then the name as it is. */
function destinationLevels(
  levels: string[],
  renames: { from: string[]; to: string[] }[],
  sourceByLogical: Map<string, HintedFolder>,
  destinationRoles: Map<SpecialUse, MailFolder>,
): string[] {
  const rename = renames.find((r) => startsWithLevels(levels, r.from));
  if (rename) return [...rename.to, ...levels.slice(rename.from.length)];
  // The deepest ancestor-or-self with a role decides: "Sent Items/2019" follows "Sent Items".
  for (let n = levels.length; n >= 1; n--) {
    const ancestor = sourceByLogical.get(levels.slice(0, n).join('/'));
    const role = ancestor?.specialUse;
    if (!role) continue;
    const target = destinationRoles.get(role);
    if (target) return [...target.levels, ...levels.slice(n)];
    const usual = ancestor.specialUseFromHint ? ROLE_NAMES[role] : undefined;
    if (usual) return [usual, ...levels.slice(n)];
  }
  return levels;
}

function compareLevels(a: string[], b: string[]): number {
  const inboxA = a[0].toUpperCase() === 'INBOX';
  const inboxB = b[0].toUpperCase() === 'INBOX';
  if (inboxA !== inboxB) return inboxA ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}
