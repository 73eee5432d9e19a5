/**
 * What a failed install leaves behind (DESIGN.md §4 Install): its new slot is deleted unless a
 * pointer names it; a bundle the device refused for lack of disk or memory is deferred and retried later
 * (never in a tight loop, never remembered as bad); any other failure is remembered (trust state) so a
 * re-delivered retained document does not retry it, and its partial download is deleted — it will never
 * be resumed, so it would only take space on the SD card.
 */
import type { AgentError } from '../errors.js';
import type { Fetcher } from '../fetch/fetcher.js';
import type { TrustState } from '../trust/trust-state.js';
import type { InstallTarget } from './installer.js';
import { isResourceRefusal, type ResourceGate } from './resource-gate.js';
import type { SlotRef, SlotStore } from './slot-store.js';

export async function cleanUpFailedInstall(
  deps: { slots: SlotStore; trust: TrustState; fetcher: Fetcher; resources: ResourceGate },
  failed: { target: InstallTarget; slot: SlotRef | null; error: AgentError; retry: () => void },
): Promise<void> {
  const { slots } = deps;
  const { target, slot } = failed;
  const { line, manifest } = target;
  const pointer = await slots.current(line).catch(() => undefined);
  const shadowDir = (await slots.shadow(line).catch(() => undefined))?.dir;
  const inUse = [pointer?.dir, pointer?.previous?.dir, shadowDir];
  if (slot !== null && !inUse.includes(slot.dir)) await slots.removeSlot(line, slot.dir);
  if (isResourceRefusal(failed.error)) {
    deps.resources.defer(manifest, failed.retry);
    return;
  }
  await deps.trust.markFailed(line, { version: manifest.version, digest: manifest.digest }, target.role);
  await deps.fetcher.discard(manifest.digest);
}
