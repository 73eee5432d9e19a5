/**
 * Secrets (device passwords, enrolment and API tokens) are random 32-byte base64url strings, stored only as
 * their sha256. They carry 256 bits of entropy, so a fast hash is enough (no password stretching needed);
 * comparison is constant-time so a timing side channel cannot reveal a hash prefix.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string | Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time check of a presented secret against a stored hash (null = unknown, still hashed). */
export function secretMatches(presented: string | Uint8Array, storedHash: string | null): boolean {
  const actual = Buffer.from(hashSecret(presented), 'hex');
  // Compare against a dummy when the principal is unknown so both paths take the same time.
  const expected = Buffer.from(storedHash ?? '0'.repeat(64), 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected) && storedHash !== null;
}
