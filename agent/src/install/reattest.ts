/**
 * Re-attestation of an installed model: after a targets-key rotation the control plane re-sends the same
 * version and digest under a re-signed manifest. The model bytes stay; the slot's `manifest.cbor` takes the
 * new signature, because the boot loader verifies it against the current root at every start and a manifest
 * signed by a retired key would no longer load. Best effort: a failure is logged, the model keeps serving.
 */
import { encodeCbor } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { InstallTarget } from './installer-types.js';
import type { SlotStore } from './slot-store.js';

export async function reattestInstalled(
  deps: { readonly slots: SlotStore; readonly logger: Logger },
  target: InstallTarget,
): Promise<void> {
  const { line, manifest } = target;
  // Agent releases keep their manifest for the record only: nothing re-verifies it at start.
  if (manifest.runtime === 'agent') return;
  try {
    const pointer = target.role === 'champion' ? await deps.slots.current(line) : undefined;
    const refs = target.role === 'champion' ? [pointer, pointer?.previous] : [await deps.slots.shadow(line)];
    const slot = refs.find((r) => r?.version === manifest.version && r.digest === manifest.digest);
    if (slot === undefined || slot === null) return;
    if (await deps.slots.refreshManifest(line, slot, encodeCbor(target.manifestDoc))) {
      deps.logger.info({ line, version: manifest.version, role: target.role }, 'installed manifest re-attested');
    }
  } catch (error) {
    deps.logger.error({ line, version: manifest.version, err: error }, 're-attesting the installed manifest failed');
  }
}
