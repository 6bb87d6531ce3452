// Special-use folders (RFC 6154): Sent, Drafts, Trash, Junk... are matched between the
// servers by role, not by name, so Outlook's "Sent Items" lands in host2's "Sent".
// A role is trusted when the server says so (a SPECIAL-USE flag in LIST) or when the
// folder carries a well-known client name at the top level. imapflow also guesses roles
// from names (it calls any "Archive" \Archive); we do not use its guess: a user's own
// "Archive/2024" tree must stay where it is.

export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export const SPECIAL_USES: readonly SpecialUse[] = ['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged'];

/**
 * Names mail clients give these folders (case-insensitive). No "Archive": the word is too
 * often a user's own folder; an archive is matched only when a server flags it.
 */
const WELL_KNOWN_NAMES: Record<string, SpecialUse> = Object.fromEntries(
  (
    [
      [
        '\\Sent',
        [
          'Sent',
          'Sent Items',
          'Sent Messages',
          'Sent Mail',
          'Sent-Mail',
          'Gesendet',
          'Gesendete Objekte',
          'Gesendete Elemente',
          'Envoyés',
          'Éléments envoyés',
          'Messages envoyés',
          'Enviados',
          'Elementos enviados',
          'Posta inviata',
          'Verzonden items',
        ],
      ],
      ['\\Drafts', ['Drafts', 'Draft', 'Entwürfe', 'Brouillons', 'Borradores', 'Bozze', 'Concepten']],
      [
        '\\Trash',
        [
          'Trash',
          'Deleted Items',
          'Deleted Messages',
          'Bin',
          'Papierkorb',
          'Gelöschte Elemente',
          'Corbeille',
          'Éléments supprimés',
          'Papelera',
          'Cestino',
          'Verwijderde items',
        ],
      ],
      [
        '\\Junk',
        [
          'Junk',
          'Junk E-mail',
          'Junk Email',
          'Junk Mail',
          'Spam',
          'Bulk Mail',
          'Courrier indésirable',
          'Spamverdacht',
          'Correo no deseado',
          'Posta indesiderata',
        ],
      ],
    ] as [SpecialUse, string[]][]
  ).flatMap(([use, names]) => names.map((n) => [n.toLowerCase(), use] as const)),
);

/** The role a server asserts in the folder's LIST flags, if any. */
export function specialUseFromFlags(flags: Iterable<string>): SpecialUse | undefined {
  for (const f of flags) {
    const hit = SPECIAL_USES.find((u) => u.toLowerCase() === f.toLowerCase());
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The role a well-known name implies, for top-level folders only (`levels` without the
 * namespace prefix; a folder directly under INBOX counts as top level too).
 */
export function specialUseFromName(levels: readonly string[]): SpecialUse | undefined {
  const top = levels.length === 1 || (levels.length === 2 && levels[0].toUpperCase() === 'INBOX');
  if (!top) return undefined;
  return WELL_KNOWN_NAMES[levels[levels.length - 1].toLowerCase()];
}
