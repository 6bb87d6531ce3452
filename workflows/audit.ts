// The audit log: every approval (taken or refused), every mailbox created on host2,
// every DNS change with the records before and after, every access cut, every
// destructive sync and every canary, in order.
export interface DnsRecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

export type AuditEntry =
  | { at: string; kind: 'approval'; gate: string; by: string; comment?: string; via: 'signal' | 'update' | 'automatic'; decision?: 'retry' | 'skip' }
  | { at: string; kind: 'step-failed'; step: string; error: string; changed: string[] }
  | { at: string; kind: 'own-mail-on-host2'; mailbox: string; messages: number }
  | { at: string; kind: 'refused'; what: string; by: string; reason: string; via: 'signal' | 'update' }
  | { at: string; kind: 'dns'; step: string; before: (DnsRecordSet | null)[]; after: (DnsRecordSet | null)[] }
  | { at: string; kind: 'dns-conflict'; step: string; expected: DnsRecordSet | null; found: DnsRecordSet | null }
  | { at: string; kind: 'provisioning'; method: string; created: string[]; alreadyThere: number }
  | { at: string; kind: 'access'; step: 'cut' | 'restore' | 'close sessions'; wave?: string; users: string[] }
  | { at: string; kind: 'destructive-sync'; round: string; deleteOnDestination: boolean; deleteOnSource: boolean; deleted: number }
  | { at: string; kind: 'control'; action: 'pause' | 'resume' | 'rollback'; by: string; comment?: string }
  | { at: string; kind: 'notice'; notice: string; to: number }
  | { at: string; kind: 'notice-failed'; notice: string; error: string }
  | { at: string; kind: 'canary'; token: string; outcome: 'on-host2' | 'on-host1' | 'refused' | 'missing'; finding: string }
  | { at: string; kind: 'mail-hold'; step: 'hold' | 'release to host2' | 'release to host1'; wave: string; users: string[]; held: number }
  | { at: string; kind: 'holding-relay'; step: 'hold' | 'release to host2' | 'release to host1'; domain: string; held: number };
