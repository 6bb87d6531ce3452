// What mailshift knows of each IMAP provider (the spec's host1.provider / host2.provider):
// the folders it shows that are not mail to copy, the names of its role folders, and the
// limits it documents. Data only, each figure with where it comes from; preset-rules.ts
// turns it into folder rules. Every limit is a default the spec's own fields override, and
// enforced: the message size by the sync (skipped, reported), connections per account by
// connection-caps.ts, bytes per day by byte-budget.ts. Workflow code: no I/O, no activity
// imports at run time.
import type { SpecialUse } from '../activities/imap/special-use';

export const PROVIDERS = ['generic', 'dovecot', 'gmail', 'microsoft365'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface ProviderLimits {
  /** Larger messages are refused on APPEND: a sync into this provider skips and reports them. */
  maxMessageBytes?: number;
  /** IMAP connections one account may hold at once. */
  connectionsPerAccount?: number;
  /** Bytes one account may download over IMAP per day. */
  downloadBytesPerDay?: number;
  /** Bytes one account may upload over IMAP per day. */
  uploadBytesPerDay?: number;
  /** Where each figure comes from. */
  sources: Partial<Record<Exclude<keyof ProviderLimits, 'sources'>, string>>;
}

export interface ProviderPreset {
  /** When the provider is the side copied from. */
  asSource: {
    /** Folders (with their subfolders) not copied, each with the reason. */
    skip: { folder: string; why: string }[];
    /** Roles of its folders, for when the server does not flag them (its own flag wins). */
    roles: Record<string, SpecialUse>;
  };
  /** When the provider is the side copied to. */
  asDestination: {
    roles: Record<string, SpecialUse>;
    /** Source folders given another name, because this provider refuses theirs. */
    rename: Record<string, string>;
  };
  limits: ProviderLimits;
}

const IMAPSYNC_FAQ_GMAIL = 'imapsync FAQ.d/FAQ.Gmail.txt';
const IMAPSYNC_FAQ_OFFICE365 = 'imapsync FAQ.d/FAQ.Office365.txt';
const GMAIL_LIMITS = `Google Workspace Admin Help "Gmail bandwidth limits" (support.google.com/a/answer/1071518), as quoted in ${IMAPSYNC_FAQ_GMAIL}`;

/** Gmail's IMAP names of its role folders ("What are the Gmail imap names…" in imapsync's FAQ.Gmail; [Gmail]/Bin in some languages). */
const GMAIL_ROLES: Record<string, SpecialUse> = {
  '[Gmail]/Sent Mail': '\\Sent',
  '[Gmail]/Drafts': '\\Drafts',
  '[Gmail]/Trash': '\\Trash',
  '[Gmail]/Bin': '\\Trash',
  '[Gmail]/Spam': '\\Junk',
};

/** Outlook's and Exchange Online's default names (mailshift's well-known names match them at the top level too). */
const MICROSOFT_ROLES: Record<string, SpecialUse> = {
  'Sent Items': '\\Sent',
  Drafts: '\\Drafts',
  'Deleted Items': '\\Trash',
  'Junk Email': '\\Junk',
  Archive: '\\Archive',
};

const OUTLOOK_NOT_MAIL = "Outlook's own folder, not mail (no published list checked: skipped if it shows over IMAP)";

export const PROVIDER_PRESETS: Record<Provider, ProviderPreset> = {
  generic: { asSource: { skip: [], roles: {} }, asDestination: { roles: {}, rename: {} }, limits: { sources: {} } },
  // Dovecot flags its role folders itself (special_use in its configuration): nothing to add.
  dovecot: { asSource: { skip: [], roles: {} }, asDestination: { roles: {}, rename: {} }, limits: { sources: {} } },
  gmail: {
    asSource: {
      skip: [
        { folder: '[Gmail]/All Mail', why: 'every message of the account (labels are views of it): copying it duplicates every labelled message' },
        { folder: '[Gmail]/Important', why: 'a view of messages Gmail marks important, already in their labels' },
        { folder: '[Gmail]/Starred', why: 'a view of flagged messages; the \\Flagged flag is copied with each message' },
        { folder: '[Gmail]/Chats', why: `chat messages do not transfer well over IMAP (${IMAPSYNC_FAQ_GMAIL}, "Can I transfer Gmail Chat messages")` },
      ],
      roles: GMAIL_ROLES,
    },
    asDestination: { roles: { ...GMAIL_ROLES, '[Gmail]/All Mail': '\\All', '[Gmail]/Starred': '\\Flagged' }, rename: {} },
    limits: {
      maxMessageBytes: 35_651_584,
      connectionsPerAccount: 15,
      downloadBytesPerDay: 2_500_000_000,
      uploadBytesPerDay: 500_000_000,
      sources: {
        maxMessageBytes: `imapsync --gmail2 (--maxsize 35_651_584), ${IMAPSYNC_FAQ_GMAIL}`,
        connectionsPerAccount: 'Lifewire, "Know the Simultaneous Gmail IMAP Connection Limit" (Gmail Help answer 97150 said 10 in 2008)',
        downloadBytesPerDay: `2,500 MB per day, ${GMAIL_LIMITS}`,
        uploadBytesPerDay: `500 MB per day, ${GMAIL_LIMITS}`,
      },
    },
  },
  microsoft365: {
    asSource: {
      skip: [
        {
          folder: 'Files',
          why: `Exchange Online's attachment folder, messages without headers (imapsync --office1: --exclude "^Files$", ${IMAPSYNC_FAQ_OFFICE365})`,
        },
        ...['Sync Issues', 'Conversation History', 'Calendar', 'Contacts', 'Tasks', 'Notes', 'Journal'].map((folder) => ({ folder, why: OUTLOOK_NOT_MAIL })),
      ],
      roles: MICROSOFT_ROLES,
    },
    asDestination: {
      roles: MICROSOFT_ROLES,
      rename: { Files: 'Files (renamed)' },
    },
    limits: {
      maxMessageBytes: 45_000_000,
      sources: {
        maxMessageBytes: `imapsync --office2 (--maxsize 45000000, "45 MB by default on Office365"), ${IMAPSYNC_FAQ_OFFICE365}; a tenant can raise it to 150 MB`,
      },
    },
  },
};
