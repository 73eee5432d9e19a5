/**
 * Raw 32-byte curve keys (Ed25519 for signatures, X25519 for secure-aggregation key agreement) as node:crypto
 * KeyObjects, by prefixing the DER header of PKCS#8 / SPKI (RFC 8410 §7). Importing costs far more than using
 * a key (~1.6 ms for a private key, OpenSSL derives its public half; ~0.4 ms for a public one), so each
 * importer caches per key array.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export type RawKeyImporter = (raw: Uint8Array) => KeyObject;

/** Imports private keys of one curve: `derPrefix` is its PKCS#8 header up to the 32 raw bytes. */
export function privateKeyImporter(derPrefix: string): RawKeyImporter {
  return cachedImporter(Buffer.from(derPrefix, 'hex'), (der) =>
    createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
  );
}

/** Imports public keys of one curve: `derPrefix` is its SPKI header up to the 32 raw bytes. */
export function publicKeyImporter(derPrefix: string): RawKeyImporter {
  return cachedImporter(Buffer.from(derPrefix, 'hex'), (der) =>
    createPublicKey({ key: der, format: 'der', type: 'spki' }),
  );
}

function cachedImporter(prefix: Buffer, create: (der: Buffer) => KeyObject): RawKeyImporter {
  const cache = new WeakMap<Uint8Array, KeyObject>();
  return (raw) => {
    let key = cache.get(raw);
    if (key === undefined) {
      key = create(Buffer.concat([prefix, raw]));
      cache.set(raw, key);
    }
    return key;
  };
}
