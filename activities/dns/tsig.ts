// TSIG (RFC 8945): an HMAC over a DNS message, so the server knows the update comes from
// the holder of the key, and we know the reply comes from the server (a forged "NOERROR"
// would make the runbook believe the MX moved). No maintained npm package does this.
//
// Request MAC = HMAC(message without the TSIG record + TSIG variables)          §4.3.3
// Reply MAC   = HMAC(request MAC size + request MAC + reply without TSIG,
//                    with the original ID + TSIG variables)                       §4.3.2
// TSIG variables: key name, class ANY, TTL 0 (the record's), algorithm name, time signed
// (48 bits), fudge, error, other length, other data; names in canonical (lower case,
// uncompressed) wire form.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { CLASS_ANY, MalformedMessage, nameWire, readHeader, readName, recordPositions, TYPE_TSIG, u16, u32 } from './wire';

/** The algorithms of RFC 8945 §6 and the hash each uses. */
export const TSIG_ALGORITHMS = {
  'hmac-md5': { wireName: 'hmac-md5.sig-alg.reg.int.', hash: 'md5' },
  'hmac-sha1': { wireName: 'hmac-sha1.', hash: 'sha1' },
  'hmac-sha224': { wireName: 'hmac-sha224.', hash: 'sha224' },
  'hmac-sha256': { wireName: 'hmac-sha256.', hash: 'sha256' },
  'hmac-sha384': { wireName: 'hmac-sha384.', hash: 'sha384' },
  'hmac-sha512': { wireName: 'hmac-sha512.', hash: 'sha512' },
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME', 21: 'BADALG', 22: 'BADTRUNC' };
export const BADTIME = 18;

export function tsigErrorName(code: number): string {
  return code === 0 ? 'NOERROR' : (TSIG_ERRORS[code] ?? `error ${code}`);
}

export function isTsigAlgorithm(name: string): name is TsigAlgorithm {
  return Object.hasOwn(TSIG_ALGORITHMS, name);
}

/**
 * A TSIG key. The secret is a private field: logging, inspecting or serialising the key
 * (JSON, a Temporal payload, an error's details) shows its name and algorithm only.
 */
export class TsigKey {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly #secret: Buffer;

  constructor(name: string, algorithm: TsigAlgorithm, secret: Buffer) {
    if (!secret.length) throw new Error(`TSIG key ${name} has an empty secret`);
    this.name = `${name.toLowerCase().replace(/\.$/, '')}.`;
    this.algorithm = algorithm;
    this.#secret = Buffer.from(secret);
  }

  /** HMAC of the concatenated parts with this key's algorithm. */
  mac(parts: Buffer[]): Buffer {
    const h = createHmac(TSIG_ALGORITHMS[this.algorithm].hash, this.#secret);
    for (const p of parts) h.update(p);
    return h.digest();
  }

  toJSON(): { name: string; algorithm: TsigAlgorithm } {
    return { name: this.name, algorithm: this.algorithm };
  }

  [inspect.custom](): string {
    return `TsigKey { name: '${this.name}', algorithm: '${this.algorithm}' }`;
  }
}

const u48 = (n: number) => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

interface TsigFields {
  time: number;
  fudge: number;
  error: number;
  other: Buffer;
}

function variables(keyName: string, algorithm: TsigAlgorithm, f: TsigFields): Buffer {
  return Buffer.concat([
    nameWire(keyName.toLowerCase()),
    u16(CLASS_ANY),
    u32(0),
    nameWire(TSIG_ALGORITHMS[algorithm].wireName),
    u48(f.time),
    u16(f.fudge),
    u16(f.error),
    u16(f.other.length),
    f.other,
  ]);
}

export interface SignOptions {
  /** Seconds since the epoch; now by default. */
  time?: number;
  /** Allowed clock difference in seconds (300, as BIND and Knot use). */
  fudge?: number;
  /** Signing a reply (what a server does; tests use it): the request's MAC. */
  requestMac?: Buffer;
  error?: number;
  other?: Buffer;
}

/** Appends a TSIG record to `message`; returns the signed message and its MAC (needed to verify the reply). */
export function signMessage(message: Buffer, key: TsigKey, options: SignOptions = {}): { message: Buffer; mac: Buffer } {
  const fields: TsigFields = {
    time: options.time ?? Math.floor(Date.now() / 1000),
    fudge: options.fudge ?? 300,
    error: options.error ?? 0,
    other: options.other ?? Buffer.alloc(0),
  };
  const prefix = options.requestMac ? [u16(options.requestMac.length), options.requestMac] : [];
  const mac = key.mac([...prefix, message, variables(key.name, key.algorithm, fields)]);
  const algorithmName = nameWire(TSIG_ALGORITHMS[key.algorithm].wireName);
  const rdata = Buffer.concat([
    algorithmName,
    u48(fields.time),
    u16(fields.fudge),
    u16(mac.length),
    mac,
    u16(message.readUInt16BE(0)), // original ID
    u16(fields.error),
    u16(fields.other.length),
    fields.other,
  ]);
  const record = Buffer.concat([nameWire(key.name), u16(TYPE_TSIG), u16(CLASS_ANY), u32(0), u16(rdata.length), rdata]);
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

export type ReplyCheck =
  /** Signed with our key, MAC and time verified. `error` is the TSIG error field (BADTIME is signed). */
  | { status: 'verified'; error: number }
  /** No TSIG record: the server could not or would not sign (it did not know or accept our key). */
  | { status: 'unsigned' }
  /** The server's TSIG record carries an error and no MAC (BADSIG, BADKEY): it refused our signature. */
  | { status: 'refused'; error: number }
  /** A TSIG record that does not verify: wrong MAC, another key, a stale time, a malformed record. */
  | { status: 'invalid'; reason: string };

/**
 * Verifies the TSIG record of a reply to a request we signed with `key` and `requestMac`.
 * Never throws on a bad reply: the caller decides what each outcome means.
 */
export function verifyReply(reply: Buffer, key: TsigKey, requestMac: Buffer, now = Math.floor(Date.now() / 1000)): ReplyCheck {
  try {
    const positions = recordPositions(reply);
    const tsigs = positions.filter((p) => p.type === TYPE_TSIG);
    if (!tsigs.length) return { status: 'unsigned' };
    const rr = positions[positions.length - 1];
    if (tsigs.length > 1 || rr.type !== TYPE_TSIG || rr.section !== 2) return { status: 'invalid', reason: 'the TSIG record is not the last record' };

    const owner = readName(reply, rr.start).name.toLowerCase();
    const afterOwner = rr.rdataStart - 10;
    const klass = reply.readUInt16BE(afterOwner + 2);
    const ttl = reply.readUInt32BE(afterOwner + 4);
    let at = rr.rdataStart;
    const algorithm = readName(reply, at);
    at = algorithm.end;
    const time = reply.readUIntBE(at, 6);
    const fudge = reply.readUInt16BE(at + 6);
    const macSize = reply.readUInt16BE(at + 8);
    at += 10;
    const mac = reply.subarray(at, at + macSize);
    at += macSize;
    const originalId = reply.readUInt16BE(at);
    const error = reply.readUInt16BE(at + 2);
    const otherLength = reply.readUInt16BE(at + 4);
    const other = reply.subarray(at + 6, at + 6 + otherLength);
    if (at + 6 + otherLength !== rr.end) return { status: 'invalid', reason: 'malformed TSIG record' };

    if (macSize === 0) return error ? { status: 'refused', error } : { status: 'invalid', reason: 'empty MAC' };
    if (owner !== key.name) return { status: 'invalid', reason: `signed with key ${owner}, not ${key.name}` };
    if (algorithm.name.toLowerCase() !== TSIG_ALGORITHMS[key.algorithm].wireName) {
      return { status: 'invalid', reason: `signed with algorithm ${algorithm.name}, not ${key.algorithm}` };
    }
    if (klass !== CLASS_ANY || ttl !== 0) return { status: 'invalid', reason: 'TSIG record with a class other than ANY or a TTL' };

    // The digest covers the reply as it was before the TSIG record was added.
    const unsigned = Buffer.from(reply.subarray(0, rr.start));
    unsigned.writeUInt16BE(originalId, 0);
    unsigned.writeUInt16BE(readHeader(reply).counts[3] - 1, 10);
    const expected = key.mac([u16(requestMac.length), requestMac, unsigned, variables(owner, key.algorithm, { time, fudge, error, other })]);
    // A truncated MAC is allowed down to half the hash and no less than 10 bytes (§5.2.2.1).
    if (macSize > expected.length || macSize < Math.max(10, expected.length / 2)) {
      return { status: 'invalid', reason: `MAC of ${macSize} bytes for ${key.algorithm}` };
    }
    if (!timingSafeEqual(mac, expected.subarray(0, macSize))) return { status: 'invalid', reason: 'the MAC does not verify' };
    // A BADTIME reply is signed, and says our clock is off: the caller reports it.
    if (error !== BADTIME && Math.abs(now - time) > fudge) {
      return { status: 'invalid', reason: `signed at ${new Date(time * 1000).toISOString()}, outside the ${fudge} s fudge` };
    }
    return { status: 'verified', error };
  } catch (err) {
    if (err instanceof MalformedMessage || err instanceof RangeError) return { status: 'invalid', reason: `malformed reply (${err.message})` };
    throw err;
  }
}
