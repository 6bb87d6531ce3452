// The RFC 2136 provider: ONE dynamic UPDATE message per change, signed with TSIG, sent to
// the zone's primary server. Its prerequisites are the records we expect to replace
// ("RRset exists (value dependent)", RFC 2136 §2.4.2, or "RRset does not exist" §2.4.3),
// so the server itself refuses the update (NXRRSET/YXRRSET) when someone else changed
// the records meanwhile: reported as a conflict naming the record, never overwritten.
// Each RRset is deleted and re-added in the same message (Knot ignores a re-add that
// only changes the TTL).
//
// Updates go over TCP, not UDP: a UDP retransmission after a lost reply would repeat a
// change that was applied, and its prerequisites would then fail as a false conflict.
// The server's reply is TSIG-verified before we believe it.
import { randomInt } from 'node:crypto';
import { authRefused, conflict, rejected, replyUnverified, unavailable } from './errors';
import type { DnsProvider, RRsetChange } from './provider';
import { queryRRset, type QueryAnswer } from './query';
import { sameRRset, type RecordType, type RRset } from './records';
import { formatEndpoint, tcpExchange, TransportError, type Endpoint } from './transport';
import { BADTIME, signMessage, tsigErrorName, verifyReply, type TsigKey } from './tsig';
import {
  CLASS_ANY,
  CLASS_IN,
  CLASS_NONE,
  MalformedMessage,
  OPCODE_UPDATE,
  rawRecord,
  rcodeName,
  rdataWire,
  readHeader,
  TYPE_CODES,
  updateMessage,
} from './wire';

/** Prerequisite failures: the zone is not as we expected. */
const PREREQUISITE_FAILED = new Set(['NXRRSET', 'YXRRSET', 'NXDOMAIN', 'YXDOMAIN']);

export class Rfc2136Provider implements DnsProvider {
  readonly where: string;
  private readonly keyName: string;

  constructor(
    readonly primary: Endpoint,
    readonly zone: string,
    private readonly key: TsigKey,
    private readonly timeoutMs: number,
  ) {
    this.where = formatEndpoint(primary);
    this.keyName = key.name.replace(/\.$/, '');
  }

  async read(name: string, type: RecordType): Promise<RRset | null> {
    let answer: QueryAnswer;
    try {
      answer = await queryRRset(this.primary, name, type, { timeoutMs: this.timeoutMs, tries: 2 });
    } catch (err) {
      if (err instanceof TransportError) throw unavailable(`cannot read ${name} ${type}: ${err.message}`);
      throw err;
    }
    if (answer.rcode === 'SERVFAIL') throw unavailable(`${this.where} answered SERVFAIL for ${name} ${type}`);
    if ((answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN') || !answer.authoritative) {
      throw rejected(`${this.where} does not answer authoritatively for ${name} ${type} (${answer.rcode}): does it serve zone ${this.zone}?`);
    }
    return answer.rrset;
  }

  async replace(changes: RRsetChange[]): Promise<void> {
    if (!changes.length) return;
    const what = changes.map((c) => `${c.name} ${c.type}`).join(', ');
    const prerequisites: Buffer[] = [];
    const updates: Buffer[] = [];
    for (const c of changes) {
      const type = TYPE_CODES[c.type];
      // Value-dependent: the RRset must hold exactly these values (TTL is not compared, §3.2.3).
      if (c.expected) for (const v of c.expected.values) prerequisites.push(rawRecord(c.name, type, CLASS_IN, 0, rdataWire(c.type, v)));
      // Class NONE, empty RDATA: the RRset must not exist.
      else prerequisites.push(rawRecord(c.name, type, CLASS_NONE, 0));
      // Class ANY, empty RDATA: delete the whole RRset; then add the new one with its TTL.
      updates.push(rawRecord(c.name, type, CLASS_ANY, 0));
      if (c.next) for (const v of c.next.values) updates.push(rawRecord(c.name, type, CLASS_IN, c.next.ttl, rdataWire(c.type, v)));
    }
    const id = randomInt(0, 65536);
    const { message, mac } = signMessage(updateMessage(id, this.zone, prerequisites, updates), this.key);

    let reply: Buffer;
    try {
      reply = await tcpExchange(this.primary, message, this.timeoutMs);
    } catch (err) {
      // Sent but unanswered, the update may have been applied: the retry reads first.
      if (err instanceof TransportError) throw unavailable(`cannot update ${what}: ${err.message}`);
      throw err;
    }
    let header: ReturnType<typeof readHeader>;
    try {
      header = readHeader(reply);
    } catch (err) {
      if (err instanceof MalformedMessage) throw replyUnverified(`${this.where} sent a malformed reply to the update of ${what}`);
      throw err;
    }
    if (header.id !== id || !header.response || header.opcode !== OPCODE_UPDATE) {
      throw replyUnverified(`${this.where} sent a reply that does not belong to the update of ${what}`);
    }
    const rcode = rcodeName(header.rcode);
    const check = verifyReply(reply, this.key, mac);
    const refusedKey = (detail: string) => authRefused(`the TSIG key ${this.keyName} was refused by ${this.where} (${detail})`);

    switch (check.status) {
      case 'refused': {
        const why = { 16: 'the server knows the key name but not this secret', 17: 'the server does not know this key name and algorithm' }[check.error];
        throw refusedKey(`${rcode}, TSIG ${tsigErrorName(check.error)}${why ? `: ${why}` : ''}`);
      }
      case 'invalid':
        throw replyUnverified(`the reply of ${this.where} to the update of ${what} does not verify with the TSIG key ${this.keyName}: ${check.reason}`);
      case 'unsigned':
        if (rcode === 'NOTAUTH' || rcode === 'REFUSED')
          throw refusedKey(`${rcode}, unsigned reply: the server does not know this key or does not allow updates`);
        if (rcode === 'FORMERR') throw rejected(`${this.where} could not parse the update of ${what} (FORMERR)`);
        // An unsigned success could be forged: the change is not believed to be made.
        throw replyUnverified(`${this.where} answered ${rcode} to the update of ${what} without a TSIG signature`);
      case 'verified':
        if (check.error === BADTIME) throw refusedKey('BADTIME: the clocks of this worker and the server differ by more than the fudge');
        if (check.error) throw refusedKey(`${rcode}, TSIG ${tsigErrorName(check.error)}`);
    }

    if (rcode === 'NOERROR') return;
    if (PREREQUISITE_FAILED.has(rcode)) return this.explainConflict(changes, rcode);
    if (rcode === 'NOTAUTH' || rcode === 'REFUSED') {
      const mx = changes.some((c) => c.type === 'MX' && c.next)
        ? "; note that BIND refuses an MX whose target in the zone has no A/AAAA record (give the target's address)"
        : '';
      throw refusedKey(`${rcode}: the key may not change ${what} in zone ${this.zone}${mx}`);
    }
    if (rcode === 'SERVFAIL') throw unavailable(`${this.where} failed to apply the update of ${what} (SERVFAIL)`);
    throw rejected(`${this.where} rejected the update of ${what} (${rcode})`);
  }

  /** The server said the zone is not as expected: find which RRset differs, and how. */
  private async explainConflict(changes: RRsetChange[], rcode: string): Promise<void> {
    const now = await Promise.all(changes.map((c) => this.read(c.name, c.type)));
    // Someone (an earlier attempt of this very activity) already made exactly this change.
    if (changes.every((c, i) => sameRRset(now[i], c.next))) return;
    const i = changes.findIndex((c, j) => !sameRRset(now[j], c.expected, { ttl: false }));
    if (i >= 0) throw conflict(changes[i].name, changes[i].type, changes[i].expected, now[i], this.where);
    throw unavailable(`${this.where} refused the prerequisites of the update (${rcode}), yet the records now read as expected: another change was in flight`);
  }
}
