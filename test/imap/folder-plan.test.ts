// Folder mapping without servers: namespace prefix and separator both ways, special-use
// roles (by server flag, by well-known name, never by imapflow's guess for "Archive"),
// include/exclude/rename, merged sources, and the IMAP session options for each login.
import { checkFolderRules, planFolders } from '../../activities/imap/folder-plan';
import { logicalLevels, serverPath, type MailFolder, type Namespace } from '../../activities/imap/folders';
import { imapflowOptions } from '../../activities/imap/session';
import { specialUseFromFlags, specialUseFromName } from '../../activities/imap/special-use';

const DOT: Namespace = { prefix: 'INBOX.', delimiter: '.' };
const SLASH: Namespace = { prefix: '', delimiter: '/' };

/** A listed folder as listFolders() builds it. */
function folder(path: string, ns: Namespace, flags: string[] = [], subscribed = true): MailFolder {
  const levels = logicalLevels(path, ns)!;
  const fromServer = specialUseFromFlags(flags);
  return {
    path,
    levels,
    logical: levels.join('/'),
    specialUse: fromServer ?? specialUseFromName(levels),
    specialUseFromServer: !!fromServer,
    selectable: !flags.includes('\\Noselect'),
    subscribed,
  };
}

describe('names', () => {
  it('strips and adds the namespace prefix, translating the separator', () => {
    expect(logicalLevels('INBOX.Archive.2024', DOT)).toEqual(['Archive', '2024']);
    expect(logicalLevels('INBOX', DOT)).toEqual(['INBOX']);
    expect(logicalLevels('Archive/2024', SLASH)).toEqual(['Archive', '2024']);
    expect(logicalLevels('Shared.bob', DOT)).toBeUndefined();
    expect(serverPath(['Archive', '2024', 'Été'], SLASH)).toBe('Archive/2024/Été');
    expect(serverPath(['Archive', '2024', 'Été'], DOT)).toBe('INBOX.Archive.2024.Été');
    expect(serverPath(['INBOX'], DOT)).toBe('INBOX');
    expect(serverPath(['INBOX', 'Sub'], DOT)).toBe('INBOX.Sub');
  });

  it('replaces a separator that is part of a name on the other side', () => {
    expect(serverPath(['v1.2 notes'], DOT)).toBe('INBOX.v1_2 notes');
    expect(serverPath(['a/b'], SLASH)).toBe('a_b');
  });
});

describe('special use', () => {
  it('trusts server flags and well-known top-level names, not "Archive" by name', () => {
    expect(specialUseFromFlags(['\\HasNoChildren', '\\Sent'])).toBe('\\Sent');
    expect(specialUseFromName(['Sent Items'])).toBe('\\Sent');
    expect(specialUseFromName(['Deleted Items'])).toBe('\\Trash');
    expect(specialUseFromName(['INBOX', 'Junk E-mail'])).toBe('\\Junk');
    expect(specialUseFromName(['Projects', 'Sent Items'])).toBeUndefined();
    expect(specialUseFromName(['Archive'])).toBeUndefined();
  });
});

describe('planFolders', () => {
  const host1 = [
    folder('INBOX', DOT),
    folder('INBOX.Sent', DOT, ['\\Sent']),
    folder('INBOX.Sent Items', DOT),
    folder('INBOX.Sent Items.2019', DOT),
    folder('INBOX.Deleted Items', DOT),
    folder('INBOX.Archive', DOT, ['\\Noselect']),
    folder('INBOX.Archive.2024', DOT),
    folder('INBOX.Archive.2024.Été', DOT, [], false),
    folder('INBOX.Junk', DOT, ['\\Junk']),
  ];
  const host2 = [
    folder('INBOX', SLASH),
    folder('Sent', SLASH, ['\\Sent']),
    folder('Trash', SLASH, ['\\Trash']),
    folder('Spam', SLASH, ['\\Junk']),
    folder('Archives', SLASH, ['\\Archive']),
    folder('Notes', SLASH),
  ];

  it('maps every source folder: prefix, separator, roles, and children of mapped folders', () => {
    const plan = planFolders(host1, host2, SLASH);
    const map = Object.fromEntries(plan.pairs.map((p) => [p.path, p.sources.map((s) => s.path)]));
    expect(map).toEqual({
      INBOX: ['INBOX'],
      Sent: ['INBOX.Sent', 'INBOX.Sent Items'],
      'Sent/2019': ['INBOX.Sent Items.2019'],
      Trash: ['INBOX.Deleted Items'],
      Spam: ['INBOX.Junk'],
      // A user's own Archive tree stays a tree: host2's \Archive "Archives" is not its target.
      'Archive/2024': ['INBOX.Archive.2024'],
      'Archive/2024/Été': ['INBOX.Archive.2024.Été'],
    });
    expect(plan.pairs[0].path).toBe('INBOX');
    expect(plan.destinationOnly.sort()).toEqual(['Archives', 'Notes']);
    expect(plan.pairs.find((p) => p.path === 'Sent')!.existing?.path).toBe('Sent');
    expect(plan.pairs.find((p) => p.path === 'Archive/2024')!.existing).toBeUndefined();
  });

  it('maps the other way too', () => {
    const plan = planFolders(host2, host1, DOT);
    const map = Object.fromEntries(plan.pairs.map((p) => [p.sources[0].path, p.path]));
    expect(map).toEqual({
      INBOX: 'INBOX',
      Sent: 'INBOX.Sent',
      Trash: 'INBOX.Deleted Items',
      Spam: 'INBOX.Junk',
      Archives: 'INBOX.Archives',
      Notes: 'INBOX.Notes',
    });
  });

  it('applies include, exclude and rename (explicit renames beat roles)', () => {
    const plan = planFolders(host1, host2, SLASH, {
      exclude: ['^Junk$'],
      rename: { Archive: 'Old/Archive', 'Sent Items': 'Outlook Sent' },
    });
    const paths = plan.pairs.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['Old/Archive/2024', 'Old/Archive/2024/Été', 'Outlook Sent', 'Outlook Sent/2019', 'Sent']));
    expect(paths).not.toContain('Spam');
    expect(plan.excluded).toEqual(['Junk']);
    const only = planFolders(host1, host2, SLASH, { include: ['^Archive(/|$)'] });
    expect(only.pairs.map((p) => p.path)).toEqual(['Archive/2024', 'Archive/2024/Été']);
  });
});

describe('planFolders with role hints (a provider preset names folders its server may not flag)', () => {
  const gmail = [
    folder('INBOX', DOT),
    folder('INBOX.[Gmail]', DOT, ['\\Noselect']),
    folder('INBOX.[Gmail].Sent Mail', DOT),
    folder('INBOX.[Gmail].Spam', DOT),
    folder('INBOX.[Gmail].Bin', DOT),
    folder('INBOX.[Gmail].Drafts', DOT, ['\\Drafts']),
    folder('INBOX.Work', DOT),
  ];
  const source = { '[Gmail]/Sent Mail': '\\Sent', '[Gmail]/Spam': '\\Junk', '[Gmail]/Bin': '\\Trash', '[Gmail]/Drafts': '\\Sent' } as const;

  it("maps hinted source folders by role; a server's own flag beats the hint", () => {
    const host2 = [folder('INBOX', SLASH), folder('Sent', SLASH, ['\\Sent']), folder('Drafts', SLASH, ['\\Drafts']), folder('Junk', SLASH, ['\\Junk'])];
    const plan = planFolders(gmail, host2, SLASH, { roles: { source } });
    const map = Object.fromEntries(plan.pairs.map((p) => [p.path, p.sources.map((s) => s.logical)]));
    expect(map).toEqual({
      INBOX: ['INBOX'],
      Sent: ['[Gmail]/Sent Mail'],
      Drafts: ['[Gmail]/Drafts'],
      Junk: ['[Gmail]/Spam'],
      // No \Trash on host2: a hinted folder takes the role's usual name, not [Gmail]/Bin.
      Trash: ['[Gmail]/Bin'],
      Work: ['Work'],
    });
  });

  it('without hints, nested names keep their place (the well-known names count at the top level only)', () => {
    const plan = planFolders(gmail, [folder('INBOX', SLASH), folder('Sent', SLASH, ['\\Sent'])], SLASH);
    expect(plan.pairs.map((p) => p.path)).toEqual(expect.arrayContaining(['[Gmail]/Sent Mail', '[Gmail]/Spam', '[Gmail]/Bin']));
  });

  it('hints on the destination side route roles into the names that server uses', () => {
    const host1 = [folder('INBOX', DOT), folder('INBOX.Sent', DOT, ['\\Sent']), folder('INBOX.Trash', DOT, ['\\Trash']), folder('INBOX.Projects', DOT)];
    const gmail2 = [folder('INBOX', SLASH), folder('[Gmail]', SLASH, ['\\Noselect']), folder('[Gmail]/Sent Mail', SLASH), folder('[Gmail]/Bin', SLASH)];
    const plan = planFolders(host1, gmail2, SLASH, { roles: { destination: { '[Gmail]/Sent Mail': '\\Sent', '[Gmail]/Bin': '\\Trash' } } });
    const map = Object.fromEntries(plan.pairs.map((p) => [p.sources[0].logical, p.path]));
    expect(map).toEqual({ INBOX: 'INBOX', Sent: '[Gmail]/Sent Mail', Trash: '[Gmail]/Bin', Projects: 'Projects' });
  });

  it('explicit renames still beat roles, and an unknown role is refused', () => {
    const host2 = [folder('INBOX', SLASH), folder('Sent', SLASH, ['\\Sent'])];
    const plan = planFolders(gmail, host2, SLASH, { roles: { source }, rename: { '[Gmail]/Sent Mail': 'Gmail Sent' } });
    expect(plan.pairs.map((p) => p.path)).toContain('Gmail Sent');
    expect(() => checkFolderRules({ roles: { source: { x: '\\Important' as never } } })).toThrow(/role/);
  });
});

describe('login options', () => {
  const endpoint = { host: 'imap.example.org', port: 993, tls: 'implicit' as const };
  it('password, XOAUTH2 token, SASL authzid admin, Dovecot master separator; TLS verified by default', () => {
    expect(imapflowOptions({ endpoint, login: { user: 'a', credential: 'env:X' } }, 'pw')).toMatchObject({
      secure: true,
      auth: { user: 'a', pass: 'pw' },
      tls: { rejectUnauthorized: true },
      disableCompression: true,
    });
    expect(imapflowOptions({ endpoint, login: { user: 'a', credential: 'env:X', mechanism: 'xoauth2' } }, 'tok').auth).toEqual({
      user: 'a',
      accessToken: 'tok',
    });
    expect(imapflowOptions({ endpoint, login: { user: 'a', credential: 'env:X', masterUser: 'admin' } }, 'pw').auth).toEqual({
      user: 'admin',
      authzid: 'a',
      pass: 'pw',
      loginMethod: 'AUTH=PLAIN',
    });
    expect(imapflowOptions({ endpoint, login: { user: 'a', credential: 'env:X', masterUser: 'admin', masterUserSeparator: '*' } }, 'pw').auth).toEqual({
      user: 'a*admin',
      pass: 'pw',
    });
    const starttls = imapflowOptions({ endpoint: { ...endpoint, tls: 'starttls', verifyCertificate: false }, login: { user: 'a', credential: 'env:X' } }, 'pw');
    expect(starttls).toMatchObject({ secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false } });
  });
});
