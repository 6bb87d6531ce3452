// The optional payload codec: AES-256-GCM over every payload mailshift sends to Temporal
// (workflow inputs and results, activity inputs and results, signals, updates, queries,
// memos), so that Temporal's database and its Web UI see ciphertext only. The worker, the
// CLI and the codec server (scripts/codec-server.ts, which lets the Web UI show decoded
// payloads) all take the key from the environment:
//
//   MAILSHIFT_CODEC_KEY      base64 of 32 random bytes (`openssl rand -base64 32`)
//   MAILSHIFT_CODEC_KEY_ID   the key's name, written in each payload's metadata (default "default")
//   MAILSHIFT_CODEC_OLD_KEYS "id:base64,id:base64": keys that only decrypt, for rotation
//
// Without MAILSHIFT_CODEC_KEY there is no codec and payloads stay plain JSON.
//
// An encrypted payload is `{ metadata: { encoding: "binary/encrypted", "encryption-key-id": id },
// data: iv(12) || ciphertext || tag(16) }`, the ciphertext being the original payload
// serialized as protobuf (Temporal's own format for this), and the key id bound as
// additional authenticated data. Payloads without that encoding (written before the key
// was set) pass through unchanged.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A payload the codec cannot decrypt, or a key configuration it refuses. Never holds a key. */
export class CodecError extends Error {
  override name = 'CodecError';
}

export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

/**
 * Encrypts with `current`; decrypts with whichever of `current` and `old` the payload's
 * key id names.
 */
export class AesGcmCodec implements PayloadCodec {
  private readonly current: CodecKey;
  private readonly keyring: Map<string, Uint8Array>;

  constructor(current: CodecKey, old: CodecKey[] = []) {
    this.current = checkKey(current);
    this.keyring = new Map([[current.id, current.key]]);
    for (const k of old.map(checkKey)) {
      const known = this.keyring.get(k.id);
      if (known && !Buffer.from(known).equals(Buffer.from(k.key))) {
        throw new CodecError(`two different keys have the id "${k.id}": each key id must name one key`);
      }
      this.keyring.set(k.id, k.key);
    }
  }

  /** The id new payloads are encrypted with. */
  get keyId(): string {
    return this.current.id;
  }

  /** Ids of every key that can decrypt. */
  get keyIds(): string[] {
    return [...this.keyring.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(utf8.encode(this.current.id));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(this.current.id) },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || text.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!idBytes) throw new CodecError(`an encrypted payload has no "${KEY_ID_METADATA}" metadata: cannot tell which key decrypts it`);
    const id = text.decode(idBytes);
    const key = this.keyring.get(id);
    if (!key) {
      throw new CodecError(
        `a payload is encrypted with key id "${id}", which this process does not have ` +
          `(it has ${this.keyIds.map((k) => `"${k}"`).join(', ')}): set that key in MAILSHIFT_CODEC_KEY or MAILSHIFT_CODEC_OLD_KEYS`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError(`a payload encrypted with key id "${id}" is truncated (${data.length} bytes)`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(idBytes);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecError(`cannot decrypt a payload with key id "${id}": authentication failed (a wrong key for that id, or the payload was altered)`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

function checkKey(k: CodecKey): CodecKey {
  if (!k.id || /[\s,:]/.test(k.id)) throw new CodecError(`a codec key id must be non-empty without spaces, commas or colons (got "${k.id}")`);
  if (k.key.length !== KEY_BYTES) throw new CodecError(`codec key "${k.id}" must be ${KEY_BYTES} bytes, not ${k.key.length}`);
  return k;
}

/** Standard or URL-safe base64 of exactly 32 bytes; the error names `what`, never the value. */
function parseKey(value: string, what: string): Uint8Array {
  const v = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) throw new CodecError(`${what} is not base64 (generate one with \`openssl rand -base64 32\`)`);
  const key = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) throw new CodecError(`${what} must be the base64 of ${KEY_BYTES} bytes, not ${key.length} (\`openssl rand -base64 32\`)`);
  return key;
}

/** "id:base64,id:base64" (spaces and empty entries ignored). */
export function parseOldKeys(value: string | undefined): CodecKey[] {
  return (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const colon = entry.indexOf(':');
      if (colon <= 0) throw new CodecError(`MAILSHIFT_CODEC_OLD_KEYS entry ${i + 1} is not "id:base64"`);
      const id = entry.slice(0, colon).trim();
      return { id, key: parseKey(entry.slice(colon + 1), `MAILSHIFT_CODEC_OLD_KEYS key "${id}"`) };
    });
}

type Env = Record<string, string | undefined>;

/** The codec MAILSHIFT_CODEC_* configure, or undefined when no key is set. Throws CodecError on a bad setting. */
export function codecFromEnv(env: Env = process.env): PayloadCodec | undefined {
  const key = env.MAILSHIFT_CODEC_KEY?.trim();
  if (!key) {
    if (env.MAILSHIFT_CODEC_OLD_KEYS?.trim()) throw new CodecError('MAILSHIFT_CODEC_OLD_KEYS is set but MAILSHIFT_CODEC_KEY is not: set the current key too');
    return undefined;
  }
  const id = env.MAILSHIFT_CODEC_KEY_ID?.trim() || 'default';
  return new AesGcmCodec({ id, key: parseKey(key, `MAILSHIFT_CODEC_KEY (key id "${id}")`) }, parseOldKeys(env.MAILSHIFT_CODEC_OLD_KEYS));
}

/** `{ payloadCodecs: [codec] }` for Client and Worker options, or undefined when no key is set. */
export function dataConverterFromEnv(env: Env = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec && { payloadCodecs: [codec] };
}
