// The folder rules a sync engine gets: the spec's own sync.include/exclude/rename, plus
// what the providers on each side bring (provider-presets.ts). The spec's rules win: its
// renames replace a preset's, its excludes add to a preset's, and a folder a preset skips
// is copied when the spec renames it or an include pattern names it. Deterministic, for
// the workflow.
import type { FolderRules } from '../activities/imap/types';
import { PROVIDER_PRESETS, type Provider } from './provider-presets';

export interface SpecFolderRules {
  include: string[];
  exclude: string[];
  rename: Record<string, string>;
}

const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The folder and its subfolders, as an exclude pattern on logical names. */
const folderAndBelow = (name: string) => `^${escape(name)}(/|$)`;

export function presetFolderRules(spec: SpecFolderRules, source: Provider, destination: Provider): FolderRules {
  const from = PROVIDER_PRESETS[source].asSource;
  const to = PROVIDER_PRESETS[destination].asDestination;
  const include = spec.include.map((p) => new RegExp(p));
  const lifted = (folder: string) => Object.hasOwn(spec.rename, folder) || include.some((r) => r.test(folder));
  const skipped = from.skip.filter((s) => !lifted(s.folder)).map((s) => folderAndBelow(s.folder));
  const rules: FolderRules = {
    include: spec.include,
    exclude: [...spec.exclude, ...skipped],
    rename: { ...to.rename, ...spec.rename },
  };
  const roles = {
    ...(Object.keys(from.roles).length && { source: from.roles }),
    ...(Object.keys(to.roles).length && { destination: to.roles }),
  };
  return Object.keys(roles).length ? { ...rules, roles } : rules;
}
