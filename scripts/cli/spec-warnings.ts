// What a valid spec leaves open, said before anything starts (`mailshift validate` and
// `plan`), each with the field that closes it: a cut that lets users go on changing mail
// on host1 after the final sync, where the runbook would not see it.
import type { MigrationSpec } from '../../workflows/spec';

export interface SpecWarning {
  path: string;
  message: string;
}

/** Whether the cut-over closes the sessions already open on host1 (doveadm kick). */
export const closesSessions = (access: MigrationSpec['access']): boolean => 'doveadmConfig' in access && !!access.doveadmConfig;

export function specWarnings(spec: MigrationSpec): SpecWarning[] {
  const { access } = spec;
  // mx-first leaves host1 readable on purpose: its users already work on host2.
  if (spec.scenario === 'mx-first') return [];
  if (access.method === 'notify-only') {
    return [
      {
        path: 'access.method',
        message: 'notify-only: users are told to stop using host1, but nothing stops a user who goes on changing mail there after the final sync',
      },
    ];
  }
  if ((access.method === 'dns' || access.method === 'dovecot-deny-list') && !closesSessions(access)) {
    const cut = access.method === 'dns' ? 'parking the IMAP host name' : 'the deny list';
    return [
      {
        path: 'access.doveadmConfig',
        message: `not set: ${cut} stops new logins only; sessions already open on host1 stay open, and a mail app still connected can change mail there after the final sync`,
      },
    ];
  }
  return [];
}
