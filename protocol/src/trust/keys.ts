/**
 * ed25519 signing keys (tweetnacl) and their ids. A key id is the first 8 bytes of sha256(public key) in
 * hex: short enough for every signature to carry, derived so it can never disagree with the key.
 */
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { z } from 'zod';

export const keyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'key id is 16 lowercase hex chars');

export interface SigningKey {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export function keyIdOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

/** A new random key, or a deterministic one from a 32-byte seed (tests, reproducible demos). */
export function generateSigningKey(seed?: Uint8Array): SigningKey {
  const pair = seed === undefined ? nacl.sign.keyPair() : nacl.sign.keyPair.fromSeed(seed);
  return { keyId: keyIdOf(pair.publicKey), publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** The 32-byte seed of a key: what a key file stores. */
export function seedOf(key: SigningKey): Uint8Array {
  return key.secretKey.slice(0, 32);
}
