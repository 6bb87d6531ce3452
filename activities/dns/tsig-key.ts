// The TSIG key behind a provider's `tsigKey` reference, read on the worker. Accepted forms:
//  - BIND's key file (what `tsig-keygen`, Knot's `keymgr -t` and our test servers write):
//      key "name" { algorithm hmac-sha256; secret "base64"; };
//  - one line `name:algorithm:secret` (as workflows/spec.ts documents for env:) or
//    nsupdate's `algorithm:name:secret`.
// Errors name the reference, never what it holds.
import { ApplicationFailure } from '@temporalio/common';
import { CREDENTIAL_UNAVAILABLE, resolveSecret } from '../credentials';
import { isTsigAlgorithm, TsigKey } from './tsig';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function unusable(ref: string, why: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`the TSIG key in ${ref} ${why}`, CREDENTIAL_UNAVAILABLE);
}

function makeKey(ref: string, name: string, algorithm: string, secret: string): TsigKey {
  const alg = algorithm
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/\.sig-alg\.reg\.int$/, '');
  if (!isTsigAlgorithm(alg)) throw unusable(ref, `uses algorithm "${algorithm.slice(0, 40)}", which is not an RFC 8945 HMAC`);
  if (!/^[A-Za-z0-9._-]{1,253}$/.test(name)) throw unusable(ref, 'has an invalid key name');
  if (!BASE64.test(secret) || secret.length % 4 !== 0) throw unusable(ref, 'has a secret that is not base64');
  return new TsigKey(name, alg, Buffer.from(secret, 'base64'));
}

/** Parses a key from its text (exported for tests); `ref` is only used in error messages. */
export function parseTsigKey(text: string, ref: string): TsigKey {
  const block = /key\s+"?([^"\s{]+)"?\s*\{([^}]*)\}/.exec(text);
  if (block) {
    const algorithm = /algorithm\s+"?([A-Za-z0-9.-]+)"?\s*;/.exec(block[2])?.[1];
    const secret = /secret\s+"([^"]+)"\s*;/.exec(block[2])?.[1];
    if (!algorithm || !secret) throw unusable(ref, 'is a key block without an algorithm or a secret');
    return makeKey(ref, block[1], algorithm, secret);
  }
  const parts = text.trim().split(':');
  if (parts.length === 3) {
    const [a, b, secret] = parts;
    if (isTsigAlgorithm(a.toLowerCase())) return makeKey(ref, b, a, secret);
    return makeKey(ref, a, b, secret);
  }
  throw unusable(ref, 'is neither a BIND key file (key "name" { algorithm …; secret "…"; };) nor name:algorithm:secret');
}

export async function loadTsigKey(ref: string): Promise<TsigKey> {
  return parseTsigKey(await resolveSecret(ref), ref);
}
