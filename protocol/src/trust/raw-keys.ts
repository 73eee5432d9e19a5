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
  const byValue = new Map<string, KeyObject>();
  const prefix = Buffer.from(derPrefix, 'hex');
  // By value as well as by array: the same few root and role keys arrive in fresh arrays each time they are
  // decoded (every agent of a simulated fleet, every verified document), and a public key is no secret.
  return cachedImporter(prefix, (der) => {
    const hex = der.toString('hex');
    let key = byValue.get(hex);
    if (key === undefined) {
      if (byValue.size >= PUBLIC_KEY_CACHE_SIZE) byValue.clear();
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      byValue.set(hex, key);
    }
    return key;
  });
}

/** Public keys kept by value; cleared when more than this many distinct keys were imported. */
const PUBLIC_KEY_CACHE_SIZE = 1024;

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
