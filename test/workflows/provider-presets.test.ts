// Provider presets meet the spec's own folder rules: what the sync engine is asked for,
// per provider on each side, and which rule wins when both speak of a folder.
import { planFolders } from '../../activities/imap/folder-plan';
import { logicalLevels, type MailFolder, type Namespace } from '../../activities/imap/folders';
import { specialUseFromFlags, specialUseFromName } from '../../activities/imap/special-use';
import { dailyBudget } from '../../workflows/byte-budget';
import { presetFolderRules } from '../../workflows/preset-rules';
import { PROVIDER_PRESETS, PROVIDERS } from '../../workflows/provider-presets';
import { syncRequest } from '../../workflows/requests';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { parseSpec, type ListedSpecInput } from '../../workflows/spec';

const none = { include: [], exclude: [], rename: {} };
const SLASH: Namespace = { prefix: '', delimiter: '/' };
const listed = (path: string, flags: string[] = []): MailFolder => {
  const levels = logicalLevels(path, SLASH)!;
  const fromServer = specialUseFromFlags(flags);
  return {
    path,
    levels,
    logical: levels.join('/'),
    specialUse: fromServer ?? specialUseFromName(levels),
    specialUseFromServer: !!fromServer,
    selectable: !flags.includes('\\Noselect'),
    subscribed: true,
  };
};
const excluded = (rules: ReturnType<typeof presetFolderRules>, name: string) => (rules.exclude ?? []).some((p) => new RegExp(p).test(name));

describe('presetFolderRules', () => {
  it('generic and dovecot add nothing: the spec rules reach the engine as they are', () => {
    const spec = { include: ['^INBOX$'], exclude: ['^Junk$'], rename: { Old: 'New' } };
    for (const a of ['generic', 'dovecot'] as const) {
      for (const b of ['generic', 'dovecot'] as const) expect(presetFolderRules(spec, a, b)).toEqual(spec);
    }
  });

  it('gmail as source: the label views are not copied, labels are, roles come from the names', () => {
    const rules = presetFolderRules(none, 'gmail', 'generic');
    for (const view of ['[Gmail]/All Mail', '[Gmail]/Important', '[Gmail]/Starred', '[Gmail]/Chats']) expect(excluded(rules, view)).toBe(true);
    for (const kept of ['INBOX', 'Work', 'Work/2024', '[Gmail]/Sent Mail', '[Gmail]/Spam', 'All Mail', '[Gmail]/All Mail 2'])
      expect(excluded(rules, kept)).toBe(false);
    expect(rules.roles?.source).toMatchObject({
      '[Gmail]/Sent Mail': '\\Sent',
      '[Gmail]/Trash': '\\Trash',
      '[Gmail]/Spam': '\\Junk',
      '[Gmail]/Drafts': '\\Drafts',
    });
    expect(rules.roles?.destination).toBeUndefined();
  });

  it('gmail as destination: roles go into its [Gmail]/… folders, nothing is left out', () => {
    const rules = presetFolderRules(none, 'generic', 'gmail');
    expect(rules.exclude).toEqual([]);
    expect(rules.roles?.destination).toMatchObject({ '[Gmail]/Sent Mail': '\\Sent', '[Gmail]/Bin': '\\Trash', '[Gmail]/All Mail': '\\All' });
    const host1 = [listed('INBOX'), listed('Sent', ['\\Sent']), listed('Junk', ['\\Junk']), listed('Projects')];
    const gmail = ['INBOX', '[Gmail]', '[Gmail]/All Mail', '[Gmail]/Sent Mail', '[Gmail]/Spam', '[Gmail]/Bin'].map((p) =>
      listed(p, p === '[Gmail]' ? ['\\Noselect'] : []),
    );
    const plan = planFolders(host1, gmail, SLASH, rules);
    expect(Object.fromEntries(plan.pairs.map((p) => [p.sources[0].logical, p.path]))).toEqual({
      INBOX: 'INBOX',
      Sent: '[Gmail]/Sent Mail',
      Junk: '[Gmail]/Spam',
      Projects: 'Projects',
    });
  });

  it("microsoft365 as source: Outlook's folders that hold no mail are not copied, with their subfolders", () => {
    const rules = presetFolderRules(none, 'microsoft365', 'generic');
    for (const skip of ['Sync Issues', 'Sync Issues/Conflicts', 'Conversation History', 'Calendar', 'Contacts', 'Tasks', 'Notes', 'Journal', 'Files'])
      expect(excluded(rules, skip)).toBe(true);
    for (const kept of ['INBOX', 'Sent Items', 'Deleted Items', 'Calendars of 2019', 'Projects/Calendar']) expect(excluded(rules, kept)).toBe(false);
    expect(rules.roles?.source).toMatchObject({ 'Sent Items': '\\Sent', 'Deleted Items': '\\Trash', 'Junk Email': '\\Junk', Drafts: '\\Drafts' });
  });

  it('microsoft365 as destination: a host1 folder named Files is renamed (Exchange Online reserves the name)', () => {
    const rules = presetFolderRules(none, 'generic', 'microsoft365');
    expect(rules.rename).toEqual({ Files: 'Files (renamed)' });
    expect(rules.roles?.destination).toMatchObject({ 'Sent Items': '\\Sent', 'Deleted Items': '\\Trash', 'Junk Email': '\\Junk' });
  });

  it("the spec's own rules win: its renames override, its excludes add, a renamed or included folder is copied", () => {
    const rules = presetFolderRules(
      { include: [], exclude: ['^Trash$'], rename: { '[Gmail]/All Mail': 'Archive', Files: 'Shared files' } },
      'gmail',
      'microsoft365',
    );
    expect(excluded(rules, '[Gmail]/All Mail')).toBe(false);
    expect(excluded(rules, '[Gmail]/Starred')).toBe(true);
    expect(excluded(rules, 'Trash')).toBe(true);
    expect(rules.rename).toEqual({ '[Gmail]/All Mail': 'Archive', Files: 'Shared files' });
    const included = presetFolderRules({ include: ['^INBOX$', '^Notes$'], exclude: [], rename: {} }, 'microsoft365', 'generic');
    expect(excluded(included, 'Notes')).toBe(false);
    expect(excluded(included, 'Calendar')).toBe(true);
  });

  it('every preset folder rule is a valid pattern, and every number names its source', () => {
    for (const p of PROVIDERS) {
      const rules = presetFolderRules(none, p, p);
      for (const pattern of rules.exclude ?? []) expect(() => new RegExp(pattern)).not.toThrow();
      const preset = PROVIDER_PRESETS[p];
      const { sources, ...limits } = preset.limits;
      for (const [limit, value] of Object.entries(limits)) {
        if (value !== undefined) expect({ p, limit, source: sources[limit as keyof typeof sources] }).toMatchObject({ source: expect.stringMatching(/\S/) });
      }
      for (const skip of preset.asSource.skip) expect(skip.why).toMatch(/\S/);
    }
  });
});

describe('syncRequest with provider presets', () => {
  const input = (host1: Record<string, unknown>, host2: Record<string, unknown>, sync: Record<string, unknown> = {}): ListedSpecInput => {
    const spec = JSON.parse(JSON.stringify(demoSpec('classical', new Date('2026-12-05T21:00:00Z')))) as ListedSpecInput;
    Object.assign(spec.host1, host1);
    Object.assign(spec.host2, host2);
    spec.sync = { ...spec.sync, ...sync };
    return spec;
  };
  const perms = { deleteOnDestination: false, deleteOnSource: false };
  const now = new Date('2026-11-23T12:00:00Z');

  it('a spec without providers asks exactly what it asked before', () => {
    const spec = parseSpec(input({}, {}, { exclude: ['^Junk$'], include: [], rename: {} }), now);
    expect(spec.host1.provider).toBe('generic');
    const req = syncRequest(spec, spec.mailboxes[0], 'presync', perms);
    expect(req.folders).toEqual({ include: [], exclude: ['^Junk$'], rename: {} });
    expect(req).not.toHaveProperty('maxSizeBytes');
    expect(req).not.toHaveProperty('destinationMaxMessageBytes');
  });

  it("gmail → microsoft365: host1's preset rules, host2's names and host2's message size limit", () => {
    const spec = parseSpec(input({ provider: 'gmail' }, { provider: 'microsoft365' }), now);
    const req = syncRequest(spec, spec.mailboxes[0], 'presync', perms);
    expect(req.folders).toEqual(presetFolderRules(spec.sync, 'gmail', 'microsoft365'));
    // host2's limit, for the size audit to count what is over it: not the operator's choice to skip.
    expect(req.destinationMaxMessageBytes).toBe(PROVIDER_PRESETS.microsoft365.limits.maxMessageBytes);
    expect(req).not.toHaveProperty('maxSizeBytes');
    // The reverse sync writes to host1: host1's limit, INBOX only.
    const reverse = syncRequest(spec, spec.mailboxes[0], 'reverse', perms);
    expect(reverse.destinationMaxMessageBytes).toBe(PROVIDER_PRESETS.gmail.limits.maxMessageBytes);
    expect(reverse.folders).toEqual({ include: ['^INBOX$'], exclude: [], rename: {} });
  });

  it("the spec's maxSizeBytes replaces the preset's limit, and a mailbox's own server brings its own provider", () => {
    const withSize = parseSpec(input({ provider: 'gmail' }, { provider: 'microsoft365' }, { maxSizeBytes: 150_000_000 }), now);
    const sized = syncRequest(withSize, withSize.mailboxes[0], 'presync', perms);
    expect(sized.maxSizeBytes).toBe(150_000_000);
    expect(sized).not.toHaveProperty('destinationMaxMessageBytes');
    const own = input({}, { provider: 'microsoft365' });
    own.mailboxes[0].destination.server = { host: 'imap.example.net', provider: 'gmail' };
    const spec = parseSpec(own, now);
    const req = syncRequest(spec, spec.mailboxes[0], 'presync', perms);
    expect(req.destinationMaxMessageBytes).toBe(PROVIDER_PRESETS.gmail.limits.maxMessageBytes);
    expect(req.folders?.roles?.destination).toMatchObject({ '[Gmail]/Sent Mail': '\\Sent' });
  });

  it('refuses an unknown provider, naming the field', () => {
    expect(() => parseSpec(input({ provider: 'yahoo' }, {}), now)).toThrow(/host1\.provider/);
  });
});

describe('connection caps and daily byte budgets: the presets as defaults, the spec wins', () => {
  const input = (host1: Record<string, unknown>, host2: Record<string, unknown>): ListedSpecInput => {
    const spec = JSON.parse(JSON.stringify(demoSpec('classical', new Date('2026-12-05T21:00:00Z')))) as ListedSpecInput;
    Object.assign(spec.host1, host1);
    Object.assign(spec.host2, host2);
    return spec;
  };
  const perms = { deleteOnDestination: false, deleteOnSource: false };
  const now = new Date('2026-11-23T12:00:00Z');
  const parallel = (host1: Record<string, unknown>, host2: Record<string, unknown>) => {
    const spec = parseSpec(input(host1, host2), now);
    return syncRequest(spec, spec.mailboxes[0], 'presync', perms).tuning?.parallelFolders;
  };
  const budget = (host1: Record<string, unknown>, host2: Record<string, unknown>, kind: 'presync' | 'reverse' | 'verify' = 'presync') => {
    const spec = parseSpec(input(host1, host2), now);
    return dailyBudget(spec, spec.mailboxes[0], kind);
  };

  it('connections per side: 2 parallel folders, fewer when an account or a server allows fewer', () => {
    expect(parallel({}, {})).toBe(2);
    expect(parallel({ provider: 'gmail' }, { provider: 'gmail' })).toBe(2); // Gmail's 15 does not bite
    expect(parallel({ connectionsPerAccount: 1 }, {})).toBe(1);
    expect(parallel({}, { maxConnections: 1 })).toBe(1);
  });

  it("the day's budget: the smaller of the download of the side read and the upload of the side written", () => {
    const gmail = PROVIDER_PRESETS.gmail.limits;
    expect(budget({}, {})).toBeUndefined();
    expect(budget({ provider: 'gmail' }, {})).toBe(gmail.downloadBytesPerDay);
    expect(budget({}, { provider: 'gmail' })).toBe(gmail.uploadBytesPerDay);
    expect(budget({ provider: 'gmail' }, { provider: 'gmail' })).toBe(gmail.uploadBytesPerDay);
    expect(budget({}, { provider: 'gmail', uploadBytesPerDay: 1_000_000_000 })).toBe(1_000_000_000);
    // A rollback's reverse sync reads host2 and writes host1; verification copies nothing.
    expect(budget({ uploadBytesPerDay: 7 }, { downloadBytesPerDay: 9 }, 'reverse')).toBe(7);
    expect(budget({ uploadBytesPerDay: 7 }, { downloadBytesPerDay: 9 })).toBeUndefined();
    expect(budget({ provider: 'gmail' }, {}, 'verify')).toBeUndefined();
  });

  it('refuses a cap under 2 when host1 and host2 are one server (a sync holds a connection to each)', () => {
    expect(() => parseSpec(input({ port: 993 }, { port: 993, maxConnections: 1 }), now)).toThrow(/host2\.maxConnections: host1 and host2 are one server/);
    expect(() => parseSpec(input({ port: 993 }, { port: 994, maxConnections: 1 }), now)).not.toThrow();
  });
});
