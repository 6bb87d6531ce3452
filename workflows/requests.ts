// What the runbook asks the sync engine for one mailbox: endpoints (the lucky scenario
// syncs by address, since the host name moves), logins by credential reference, folder
// rules (the spec's own merged with the providers' presets), and the delete permissions
// the phase rules granted. Post-syncs are the FAQ's
// `--folder INBOX --maxage 1 --delete1`, their window reaching back to the mailbox's last sync.
import type { SyncRequest } from '../activities/imap/types';
import { connectionsPerSide } from './connection-caps';
import type { DeletePermissions, SyncKind } from './phase-rules';
import { presetFolderRules } from './preset-rules';
import { PROVIDER_PRESETS } from './provider-presets';
import type { ImapServer, Mailbox, MigrationSpec } from './spec';

type Login = Mailbox['source'];
const login = (l: Login) => ({
  user: l.user,
  credential: l.credential,
  mechanism: l.mechanism,
  oauth2: l.oauth2,
  masterUser: l.masterUser,
  masterUserSeparator: l.masterUserSeparator,
});

function endpoint(server: ImapServer) {
  return {
    host: server.syncAddress ?? server.host,
    port: server.port,
    tls: server.tls,
    verifyCertificate: server.verifyCertificate,
    // Syncing by address: the certificate still names the host.
    ...(server.syncAddress && server.tls !== 'none' && { servername: server.host }),
  };
}

/** How the runbook reaches a mailbox on each side. */
export function mailboxAccounts(spec: MigrationSpec, m: Mailbox) {
  return {
    host1: { endpoint: endpoint(spec.host1), login: login(m.source) },
    host2: { endpoint: endpoint(m.destination.server ?? spec.host2), login: login(m.destination) },
  };
}

export function syncRequest(spec: MigrationSpec, m: Mailbox, kind: SyncKind, permissions: DeletePermissions, maxAgeDays = 1): SyncRequest {
  const { source } = m;
  const { host1, host2 } = mailboxAccounts(spec, m);
  // A rollback's reverse sync brings host2's new INBOX mail back to host1.
  const inboxOnly = kind === 'postsync' || kind === 'reverse';
  const servers = [spec.host1.provider, (m.destination.server ?? spec.host2).provider];
  const [from, to] = kind === 'reverse' ? servers.reverse() : servers;
  // The spec's limit is the operator's choice to leave larger messages out (and replaces the
  // preset's: a tenant may accept more); the provider's is one host2 has: syncs skip what it
  // would refuse, preflight's size audit counts it.
  const { maxSizeBytes } = spec.sync;
  const destinationMaxMessageBytes = maxSizeBytes ? undefined : PROVIDER_PRESETS[to].limits.maxMessageBytes;
  return {
    mailbox: source.user,
    source: kind === 'reverse' ? host2 : host1,
    destination: kind === 'reverse' ? host1 : host2,
    folders: inboxOnly ? { include: ['^INBOX$'], exclude: [], rename: {} } : presetFolderRules(spec.sync, from, to),
    ...(inboxOnly && { maxAgeDays }),
    ...(maxSizeBytes && { maxSizeBytes }),
    ...(destinationMaxMessageBytes && { destinationMaxMessageBytes }),
    deleteOnDestination: permissions.deleteOnDestination,
    deleteOnSource: permissions.deleteOnSource,
    // Its connections per side, as the round counts them (connection-caps.ts); COMPRESS only when set.
    tuning: { parallelFolders: connectionsPerSide(spec, m), ...(spec.sync.compress && { compress: true }) },
  };
}
