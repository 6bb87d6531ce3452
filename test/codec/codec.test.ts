// The AES-256-GCM payload codec: round trip, tampering, key rotation, and its settings.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { codecFromEnv, dataConverterFromEnv, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../workers/codec';

const key = () => randomBytes(32).toString('base64');
const spec = { name: 'sandbox-classical', notifications: { from: 'mailshift@example.test' } };
const plain = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const meta = (p: Payload, k: string) => Buffer.from(p.metadata![k]).toString('utf8');
const text = (p: Payload) => Buffer.concat([Buffer.from(p.data!), ...Object.values(p.metadata!).map((v) => Buffer.from(v))]).toString('latin1');

function mustCodec(env: Record<string, string>) {
  const codec = codecFromEnv(env);
  if (!codec) throw new Error('no codec');
  return codec;
}

describe('payload codec', () => {
  it('encrypts with the key id in the metadata and decrypts back to the same payload', async () => {
    const codec = mustCodec({ MAILSHIFT_CODEC_KEY: key(), MAILSHIFT_CODEC_KEY_ID: '2026-01' });
    const original = [plain(spec), plain(null), plain('x'.repeat(100_000))];
    const encoded = await codec.encode(original);

    expect(encoded).toHaveLength(3);
    for (const p of encoded) {
      expect(meta(p, 'encoding')).toBe(ENCRYPTED_ENCODING);
      expect(meta(p, KEY_ID_METADATA)).toBe('2026-01');
      expect(Object.keys(p.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    }
    expect(text(encoded[0])).not.toContain('sandbox-classical');
    expect(text(encoded[0])).not.toContain('json/plain');
    // A fresh IV each time: the same payload never encrypts to the same bytes.
    const again = await codec.encode([original[0]]);
    expect(Buffer.from(again[0].data!).equals(Buffer.from(encoded[0].data!))).toBe(false);

    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([spec, null, 'x'.repeat(100_000)]);
    expect(meta(decoded[0], 'encoding')).toBe('json/plain');
  });

  it('passes payloads that are not encrypted through unchanged (written before the key was set)', async () => {
    const codec = mustCodec({ MAILSHIFT_CODEC_KEY: key() });
    const p = plain(spec);
    const [out] = await codec.decode([p]);
    expect(out).toBe(p);
    expect(await codec.decode([])).toEqual([]);
  });

  it('refuses a tampered ciphertext, tag, IV or key id, naming the key id and never the key', async () => {
    const k = key();
    const codec = mustCodec({ MAILSHIFT_CODEC_KEY: k, MAILSHIFT_CODEC_KEY_ID: 'k1', MAILSHIFT_CODEC_OLD_KEYS: `k0:${key()}` });
    const [good] = await codec.encode([plain(spec)]);
    const n = good.data!.length;
    for (const at of [0 /* IV */, 20 /* ciphertext */, n - 1 /* tag */]) {
      const data = Buffer.from(good.data!);
      data[at] ^= 0x01;
      const err = await codec.decode([{ ...good, data }]).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/key id "k1".*authentication failed/);
      expect(err?.message).not.toContain(k);
    }
    // Claiming another key id of the keyring fails too (the id is authenticated data).
    const relabelled = { ...good, metadata: { ...good.metadata, [KEY_ID_METADATA]: Buffer.from('k0') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "k0".*authentication failed/);
    await expect(codec.decode([{ ...good, data: good.data!.subarray(0, 10) }])).rejects.toThrow(/key id "k1" is truncated/);
    const noId = { ...good, metadata: { encoding: good.metadata!.encoding } };
    await expect(codec.decode([noId])).rejects.toThrow(/no "encryption-key-id"/);
    // The untouched payload still decrypts.
    expect(defaultPayloadConverter.fromPayload((await codec.decode([good]))[0])).toEqual(spec);
  });

  it('decrypts old payloads after a key rotation, with the old key in MAILSHIFT_CODEC_OLD_KEYS', async () => {
    const oldKey = key();
    const newKey = key();
    const before = mustCodec({ MAILSHIFT_CODEC_KEY: oldKey, MAILSHIFT_CODEC_KEY_ID: 'old' });
    const [fromOld] = await before.encode([plain(spec)]);
    expect(meta(fromOld, KEY_ID_METADATA)).toBe('old');

    // Rotated without keeping the old key: a clear error that names the id, not the key.
    const forgot = mustCodec({ MAILSHIFT_CODEC_KEY: newKey, MAILSHIFT_CODEC_KEY_ID: 'new' });
    const err = await forgot.decode([fromOld]).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/key id "old".*does not have.*"new".*MAILSHIFT_CODEC_OLD_KEYS/);
    expect(err?.message).not.toContain(oldKey);
    expect(err?.message).not.toContain(newKey);

    // Rotated properly: old payloads decrypt, new ones use the new key id.
    const after = mustCodec({ MAILSHIFT_CODEC_KEY: newKey, MAILSHIFT_CODEC_KEY_ID: 'new', MAILSHIFT_CODEC_OLD_KEYS: ` other:${key()}, old:${oldKey} ` });
    expect(defaultPayloadConverter.fromPayload((await after.decode([fromOld]))[0])).toEqual(spec);
    const [fromNew] = await after.encode([plain(spec)]);
    expect(meta(fromNew, KEY_ID_METADATA)).toBe('new');
    // …which the old configuration cannot read.
    await expect(before.decode([fromNew])).rejects.toThrow(/key id "new"/);

    // The same id holding another key is a wrong key: authentication fails, naming the id.
    const wrong = mustCodec({ MAILSHIFT_CODEC_KEY: newKey, MAILSHIFT_CODEC_KEY_ID: 'old' });
    await expect(wrong.decode([fromOld])).rejects.toThrow(/key id "old": authentication failed/);
  });

  it('reads its settings from the environment and refuses bad ones without echoing a key', () => {
    expect(codecFromEnv({})).toBeUndefined();
    expect(codecFromEnv({ MAILSHIFT_CODEC_KEY: '  ' })).toBeUndefined();
    expect(dataConverterFromEnv({})).toBeUndefined();
    const dc = dataConverterFromEnv({ MAILSHIFT_CODEC_KEY: key() });
    expect(dc?.payloadCodecs).toHaveLength(1);
    expect(typeof dc?.payloadCodecs?.[0].encode).toBe('function');
    // URL-safe base64 works too.
    expect(codecFromEnv({ MAILSHIFT_CODEC_KEY: randomBytes(32).toString('base64url') })).toBeDefined();

    const short = randomBytes(16).toString('base64');
    const bad: [Record<string, string>, RegExp, string?][] = [
      [{ MAILSHIFT_CODEC_KEY: short }, /MAILSHIFT_CODEC_KEY \(key id "default"\) must be the base64 of 32 bytes, not 16/, short],
      [{ MAILSHIFT_CODEC_KEY: 'not base64!!' }, /MAILSHIFT_CODEC_KEY .* is not base64/, 'not base64!!'],
      [{ MAILSHIFT_CODEC_KEY: key(), MAILSHIFT_CODEC_OLD_KEYS: `a:${short}` }, /OLD_KEYS key "a" must be the base64 of 32 bytes/, short],
      [{ MAILSHIFT_CODEC_KEY: key(), MAILSHIFT_CODEC_OLD_KEYS: key() }, /entry 1 is not "id:base64"/],
      [{ MAILSHIFT_CODEC_KEY: key(), MAILSHIFT_CODEC_KEY_ID: 'a', MAILSHIFT_CODEC_OLD_KEYS: `a:${key()}` }, /two different keys have the id "a"/],
      [{ MAILSHIFT_CODEC_KEY: key(), MAILSHIFT_CODEC_KEY_ID: 'has space' }, /key id must be non-empty/],
      [{ MAILSHIFT_CODEC_OLD_KEYS: `a:${key()}` }, /MAILSHIFT_CODEC_OLD_KEYS is set but MAILSHIFT_CODEC_KEY is not/],
    ];
    for (const [env, message, secret] of bad) {
      let err: Error | undefined;
      try {
        codecFromEnv(env);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).toMatch(message);
      if (secret) expect(err?.message).not.toContain(secret);
    }
  });
});
