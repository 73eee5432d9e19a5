/**
 * A key rotation end to end: new keys and root N+1 (trust-store.ts), every manifest re-signed with the
 * current targets keys, and every device's desired state re-issued (seq + 1) or re-published, so each
 * device receives the new root documents and documents it can verify under them. Devices that are offline
 * get the whole chain from their retained desired state when they come back.
 */
import type { RoleName } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DesiredState } from '../desired/desired-state.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { RotationResult, TrustStore } from './trust-store.js';

export interface KeyRotationResult extends RotationResult {
  readonly resignedManifests: number;
  readonly reissuedDesired: number;
  readonly republishedDesired: number;
}

export interface KeyRotation {
  rotate(roles: readonly RoleName[]): Promise<KeyRotationResult>;
}

export function createKeyRotation(options: {
  trust: TrustStore;
  registry: ModelRegistry;
  desired: DesiredState;
  logger: Logger;
}): KeyRotation {
  let running: Promise<unknown> = Promise.resolve();
  const rotateOnce = async (roles: readonly RoleName[]): Promise<KeyRotationResult> => {
    const result = options.trust.rotate(roles);
    const resignedManifests = await options.registry.resignAll();
    const { reissued, republished } = await options.desired.reissueAll();
    options.logger.info(
      { version: result.version, rotated: result.rotated, retired: result.retiredKeyIds, resignedManifests, reissued },
      'keys rotated',
    );
    return { ...result, resignedManifests, reissuedDesired: reissued, republishedDesired: republished };
  };
  return {
    rotate(roles) {
      // One rotation at a time: two at once would both build on the same root version.
      const next = running.catch(() => undefined).then(() => rotateOnce(roles));
      running = next;
      return next;
    },
  };
}
