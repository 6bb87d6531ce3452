// What the runbook asks the sync engine for one mailbox: endpoints (the lucky scenario
// syncs by address, since the host name moves), logins by credential reference, folder
// rules, and the delete permissions the phase rules granted. Post-syncs are the FAQ's
// `--folder INBOX --maxage 1 --delete1`.
import type { SyncRequest } from '../activities/imap/types';
import type { DeletePermissions, SyncKind } from './phase-rules';
import type { ImapServer, Mailbox, MigrationSpec } from './spec';

type Login = Mailbox['source'];
const login = (l: Login) => ({
  user: l.user,
  credential: l.credential,
  mechanism: l.mechanism,
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

export function syncRequest(spec: MigrationSpec, m: Mailbox, kind: SyncKind, permissions: DeletePermissions): SyncRequest {
  const { source, destination } = m;
  const postsync = kind === 'postsync';
  return {
    mailbox: source.user,
    source: {
      endpoint: endpoint(spec.host1),
      login: login(source),
    },
    destination: {
      endpoint: endpoint(destination.server ?? spec.host2),
      login: login(destination),
    },
    folders: postsync
      ? { include: ['^INBOX$'], exclude: [], rename: {} }
      : { include: spec.sync.include, exclude: spec.sync.exclude, rename: spec.sync.rename },
    ...(postsync && { maxAgeDays: 1 }),
    ...(spec.sync.maxSizeBytes && { maxSizeBytes: spec.sync.maxSizeBytes }),
    deleteOnDestination: permissions.deleteOnDestination,
    deleteOnSource: permissions.deleteOnSource,
  };
}
