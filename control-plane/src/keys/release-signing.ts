/**
 * The keys that sign an agent release artifact: the control plane's current targets keys and its root
 * chain, read from its key file (`${dataDir}/keys.json`), so a device verifies an artifact against the same
 * pinned root keys as every model bundle. Used by `pnpm release:agent --keys <file>`; never creates keys.
 */
import { existsSync } from 'node:fs';
import type { SignedDocument, SigningKey } from '@edgefleet/protocol';
import { DEFAULTS } from '../control-plane-options.js';
import { ControlPlaneError } from '../errors.js';
import { createTrustStore } from './trust-store.js';

export function releaseSigning(
  keysFile: string,
  now: () => number = Date.now,
): { signers: readonly SigningKey[]; roots: readonly SignedDocument[] } {
  if (!existsSync(keysFile)) {
    throw new ControlPlaneError('NOT_FOUND', `${keysFile} does not exist: point at the control plane's keys.json`);
  }
  const trust = createTrustStore({ file: keysFile, ttlMs: DEFAULTS.rootTtlMs, now });
  return { signers: trust.signers('targets'), roots: trust.chain() };
}
