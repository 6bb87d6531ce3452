// TSIG (RFC 8945) signing and reply verification, the UPDATE message layout, and reading
// TSIG keys: unit tests, plus replies signed by a real Knot (verified as they come,
// rejected once a byte is changed).
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import * as packet from 'dns-packet';
import { ApplicationFailure } from '@temporalio/common';
import { parseTsigKey } from '../../activities/dns/tsig-key';
import { signMessage, TsigKey, verifyReply } from '../../activities/dns/tsig';
import { udpExchange } from '../../activities/dns/transport';
import {
  CLASS_ANY,
  CLASS_IN,
  CLASS_NONE,
  nameWire,
  rawRecord,
  rdataWire,
  readHeader,
  readName,
  recordPositions,
  TYPE_CODES,
  TYPE_TSIG,
  u16,
  updateMessage,
} from '../../activities/dns/wire';
import { startKnot, type KnotServer } from '../../scripts/servers/knot';
import { freshDir, removeDirs } from './servers';

const secret = randomBytes(32);
const key = new TsigKey('mailshift-key', 'hmac-sha256', secret);

function request(): Buffer {
  return updateMessage(
    0x1234,
    'example.test.',
    [rawRecord('mx.example.test.', TYPE_CODES.A, CLASS_NONE, 0)],
    [rawRecord('mx.example.test.', TYPE_CODES.A, CLASS_IN, 300, rdataWire('A', '192.0.2.1'))],
  );
}

/** What a server answers to an update: the header and the zone section, as a response. */
function reply(id: number, rcode = 0): Buffer {
  return packet.encode({ type: 'response', id, flags: (5 << 11) | rcode, questions: [{ name: 'example.test', type: 'SOA', class: 'IN' }] });
}

function signedExchange(k: TsigKey = key) {
  const signed = signMessage(request(), k);
  const answer = signMessage(reply(0x1234), k, { requestMac: signed.mac });
  return { requestMac: signed.mac, reply: answer.message };
}

/** The offset of the MAC inside a signed message's TSIG record. */
function macOffset(msg: Buffer): number {
  const tsig = recordPositions(msg).at(-1)!;
  return tsig.rdataStart + nameWire('hmac-sha256.').length + 10;
}

/** A record's fixed fields, read by hand (dns-packet cannot decode empty RDATA: it reads 4 bytes for any A). */
function fields(msg: Buffer, p: ReturnType<typeof recordPositions>[number]) {
  const at = p.rdataStart - 10;
  return {
    name: readName(msg, p.start).name,
    type: msg.readUInt16BE(at),
    class: msg.readUInt16BE(at + 2),
    ttl: msg.readUInt32BE(at + 4),
    rdata: [...msg.subarray(p.rdataStart, p.end)],
  };
}

describe('UPDATE message layout', () => {
  it('has opcode UPDATE, the zone as its question, then a class NONE prerequisite and an update', () => {
    const msg = request();
    expect(readHeader(msg)).toMatchObject({ id: 0x1234, opcode: 5, response: false, counts: [1, 1, 1, 0] });
    // The zone section as dns-packet decodes it (the header and question alone).
    const zoneOnly = Buffer.from(msg.subarray(0, 12 + nameWire('example.test.').length + 4));
    zoneOnly.fill(0, 6, 12);
    expect(packet.decode(zoneOnly).questions).toEqual([{ name: 'example.test', type: 'SOA', class: 'IN' }]);
    const [prerequisite, update] = recordPositions(msg);
    expect(prerequisite.section).toBe(0);
    expect(fields(msg, prerequisite)).toEqual({ name: 'mx.example.test.', type: 1, class: 254, ttl: 0, rdata: [] });
    expect(update.section).toBe(1);
    expect(fields(msg, update)).toEqual({ name: 'mx.example.test.', type: 1, class: 1, ttl: 300, rdata: [192, 0, 2, 1] });
  });

  it('encodes a delete-RRset record with class ANY and empty RDATA, and MX RDATA through dns-packet', () => {
    const del = rawRecord('example.test.', TYPE_CODES.MX, CLASS_ANY, 0);
    expect(del.subarray(-10)).toEqual(Buffer.from([0, 15, 0, 255, 0, 0, 0, 0, 0, 0]));
    expect(rdataWire('MX', '10 mx2.example.test.')).toEqual(Buffer.concat([u16(10), nameWire('mx2.example.test.')]));
  });
});

describe('TSIG signing and verification', () => {
  it('appends one TSIG record (key name, class ANY, TTL 0) and counts it', () => {
    const { message, mac } = signMessage(request(), key);
    expect(readHeader(message).counts).toEqual([1, 1, 1, 1]);
    const tsig = recordPositions(message).at(-1)!;
    expect(tsig.section).toBe(2);
    expect(fields(message, tsig)).toMatchObject({ name: 'mailshift-key.', type: TYPE_TSIG, class: CLASS_ANY, ttl: 0 });
    // A signed query decodes with dns-packet too.
    const query = signMessage(packet.encode({ type: 'query', id: 7, questions: [{ name: 'example.test', type: 'MX' }] }), key).message;
    expect(packet.decode(query).additionals).toEqual([expect.objectContaining({ name: 'mailshift-key', type: 'TSIG', class: 'ANY', ttl: 0 })]);
    expect(mac).toHaveLength(32);
    expect(message.subarray(macOffset(message), macOffset(message) + 32)).toEqual(mac);
  });

  it('verifies a reply signed with the key over the request MAC', () => {
    const { reply: r, requestMac } = signedExchange();
    expect(verifyReply(r, key, requestMac)).toEqual({ status: 'verified', error: 0 });
  });

  it('works with hmac-sha512 and hmac-sha1 too', () => {
    for (const algorithm of ['hmac-sha512', 'hmac-sha1'] as const) {
      const k = new TsigKey('k', algorithm, randomBytes(64));
      const { reply: r, requestMac } = signedExchange(k);
      expect(verifyReply(r, k, requestMac)).toEqual({ status: 'verified', error: 0 });
    }
  });

  it('rejects a reply whose MAC was changed', () => {
    const { reply: r, requestMac } = signedExchange();
    r[macOffset(r) + 5] ^= 0x01;
    expect(verifyReply(r, key, requestMac)).toEqual({ status: 'invalid', reason: 'the MAC does not verify' });
  });

  it('rejects a reply whose content was changed after signing (NOERROR turned into NXRRSET)', () => {
    const { reply: r, requestMac } = signedExchange();
    r.writeUInt16BE(r.readUInt16BE(2) | 8, 2);
    expect(verifyReply(r, key, requestMac)).toMatchObject({ status: 'invalid' });
  });

  it('rejects a reply signed for another request, or with another secret', () => {
    const { reply: r } = signedExchange();
    expect(verifyReply(r, key, randomBytes(32))).toMatchObject({ status: 'invalid', reason: 'the MAC does not verify' });
    const other = new TsigKey('mailshift-key', 'hmac-sha256', randomBytes(32));
    const { reply: forged, requestMac } = signedExchange(other);
    expect(verifyReply(forged, key, requestMac)).toMatchObject({ status: 'invalid' });
    const renamed = new TsigKey('other-key', 'hmac-sha256', secret);
    expect(verifyReply(signedExchange(renamed).reply, key, requestMac)).toMatchObject({ status: 'invalid', reason: expect.stringContaining('other-key') });
  });

  it('rejects a reply signed outside the fudge', () => {
    const signed = signMessage(request(), key);
    const old = signMessage(reply(0x1234), key, { requestMac: signed.mac, time: Math.floor(Date.now() / 1000) - 3600 });
    expect(verifyReply(old.message, key, signed.mac)).toMatchObject({ status: 'invalid', reason: expect.stringContaining('fudge') });
  });

  it('tells an unsigned reply and a server TSIG error (BADSIG, no MAC) apart', () => {
    const signed = signMessage(request(), key);
    expect(verifyReply(reply(0x1234, 9), key, signed.mac)).toEqual({ status: 'unsigned' });
    const rdata = Buffer.concat([nameWire('hmac-sha256.'), Buffer.alloc(6), u16(300), u16(0), u16(0x1234), u16(16), u16(0)]);
    const badsig = Buffer.concat([reply(0x1234, 9), rawRecord('mailshift-key.', TYPE_TSIG, CLASS_ANY, 0, rdata)]);
    badsig.writeUInt16BE(1, 10);
    expect(verifyReply(badsig, key, signed.mac)).toEqual({ status: 'refused', error: 16 });
  });

  it('rejects a truncated or garbled TSIG record without throwing', () => {
    const { reply: r, requestMac } = signedExchange();
    expect(verifyReply(r.subarray(0, r.length - 3), key, requestMac)).toMatchObject({ status: 'invalid' });
    const garbled = Buffer.from(r);
    garbled.writeUInt16BE(2, 10);
    expect(verifyReply(garbled, key, requestMac)).toMatchObject({ status: 'invalid' });
  });

  it('never shows the secret when a key is logged or serialised', () => {
    const b64 = secret.toString('base64');
    expect(JSON.stringify({ key })).not.toContain(b64);
    expect(inspect(key, { showHidden: true, depth: 5 })).not.toContain(b64);
    expect(inspect(key)).toContain('mailshift-key.');
  });
});

describe('replies signed by a real Knot', () => {
  let knot: KnotServer;
  beforeAll(async () => {
    knot = await startKnot({ dir: freshDir('tsig-knot'), zone: 'example.test', records: 'mail 300 IN A 192.0.2.1' });
  });
  afterAll(async () => {
    await knot?.stop();
    removeDirs();
  });

  async function signedQuery() {
    const k = new TsigKey(knot.key.name, 'hmac-sha256', Buffer.from(knot.key.secret, 'base64'));
    const query = packet.encode({ type: 'query', id: 4242, questions: [{ name: 'mail.example.test', type: 'A' }] });
    const signed = signMessage(query, k);
    const answer = await udpExchange({ host: '127.0.0.1', port: knot.port }, signed.message, 3000);
    return { k, requestMac: signed.mac, answer };
  }

  it('verifies as it comes, and is rejected once its MAC or its answer is changed', async () => {
    const { k, requestMac, answer } = await signedQuery();
    expect(packet.decode(answer).answers).toEqual([expect.objectContaining({ name: 'mail.example.test', data: '192.0.2.1' })]);
    expect(verifyReply(answer, k, requestMac)).toEqual({ status: 'verified', error: 0 });

    const badMac = Buffer.from(answer);
    badMac[macOffset(badMac)] ^= 0x80;
    expect(verifyReply(badMac, k, requestMac)).toEqual({ status: 'invalid', reason: 'the MAC does not verify' });

    // The address in the answer, forged to 192.0.2.9.
    const forged = Buffer.from(answer);
    const a = recordPositions(forged).find((p) => p.type === TYPE_CODES.A)!;
    forged[a.rdataStart + 3] = 9;
    expect(packet.decode(forged).answers).toEqual([expect.objectContaining({ data: '192.0.2.9' })]);
    expect(verifyReply(forged, k, requestMac)).toEqual({ status: 'invalid', reason: 'the MAC does not verify' });
  });

  it('a reply is not accepted under a key with the same name and another secret', async () => {
    const { requestMac, answer } = await signedQuery();
    const impostor = new TsigKey(knot.key.name, 'hmac-sha256', randomBytes(32));
    expect(verifyReply(answer, impostor, requestMac)).toMatchObject({ status: 'invalid' });
  });
});

describe('TSIG keys from secret references', () => {
  const b64 = randomBytes(32).toString('base64');

  it("reads BIND's key file format, name:algorithm:secret and nsupdate's algorithm:name:secret", () => {
    const fromFile = parseTsigKey(`# made by tsig-keygen\nkey "Update-Key" {\n\talgorithm hmac-sha512;\n\tsecret "${b64}";\n};\n`, 'file:/etc/k');
    expect(fromFile.toJSON()).toEqual({ name: 'update-key.', algorithm: 'hmac-sha512' });
    expect(parseTsigKey(`update-key:hmac-sha256:${b64}`, 'env:K').toJSON()).toEqual({ name: 'update-key.', algorithm: 'hmac-sha256' });
    expect(parseTsigKey(`hmac-sha256:update-key:${b64}\n`, 'env:K').toJSON()).toEqual({ name: 'update-key.', algorithm: 'hmac-sha256' });
  });

  it('explains an unusable key by its reference, without repeating what it holds', () => {
    for (const text of [`just-a-password-${b64}`, `key:hmac-foo:${b64}`, `key "k" { algorithm hmac-sha256; };`, `k:hmac-sha256:${b64}!!`]) {
      let err: unknown;
      try {
        parseTsigKey(text, 'env:DNS_KEY');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'CredentialUnavailable', nonRetryable: true, message: expect.stringContaining('env:DNS_KEY') });
      expect((err as Error).message).not.toContain(b64);
    }
  });
});
