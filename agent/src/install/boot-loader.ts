/**
 * Start-up activation of installed models, before any network: for each line, the slot named by
 * current.json (falling back to `previous`) is checked — manifest signature against the enrolled root
 * (expiry is not re-checked: an installed model keeps serving while offline), pointer/manifest agreement,
 * the model file's sha256 — then loaded, self-tested and activated. So the device serves predictions even
 * when the broker is unreachable, and a slot damaged on disk is never served. A shadow challenger named by
 * shadow.json goes through the same checks and resumes its shadow runs; one that fails them is
 * only logged — the champion serves regardless.
 */
import { readFile } from 'node:fs/promises';
import {
  decodeCbor,
  manifestBodySchema,
  signedDocumentSchema,
  type TrustedRoot,
  verifyDocument,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import type { InferenceService, ModelEntry } from '../inference/inference-service.js';
import type { Runtime } from '../runtime/runtime.js';
import { runSelfTest } from '../runtime/self-test.js';
import type { ShadowRunner } from '../shadow/shadow-runner.js';
import { sha256File } from '../storage/file-sha256.js';
import { loadOptionsOf, readSelfTestSet } from './bundle-parts.js';
import { MANIFEST_FILE, MODEL_FILE, type SlotRef, type SlotStore } from './slot-store.js';

interface BootOptions {
  slots: SlotStore;
  runtime: Runtime;
  service: InferenceService;
  shadows: ShadowRunner;
  root: TrustedRoot;
  logger: Logger;
}

/** Verifies, loads and self-tests the slot; the caller owns the returned model (doctor uses it too). */
export async function loadSlot(
  options: Pick<BootOptions, 'slots' | 'runtime' | 'root'>,
  line: string,
  slot: SlotRef,
): Promise<ModelEntry> {
  const { slots } = options;
  const doc = decodeCbor(
    new Uint8Array(await readFile(slots.pathOf(line, slot.dir, MANIFEST_FILE))),
    signedDocumentSchema,
  );
  const manifest = verifyDocument(doc, options.root.role('targets'), manifestBodySchema);
  if (manifest.line !== line || manifest.version !== slot.version || manifest.digest !== slot.digest) {
    throw new AgentError('SCHEMA_INVALID', `slot ${slot.dir} does not match its pointer`);
  }
  const modelPath = slots.pathOf(line, slot.dir, MODEL_FILE);
  if ((await sha256File(modelPath)) !== manifest.digest) {
    throw new AgentError('BUNDLE_HASH_MISMATCH', `model file of ${line} ${slot.dir} is damaged`);
  }
  const selfTestSet = await readSelfTestSet(modelPath, manifest);
  const model = await options.runtime.load(loadOptionsOf(modelPath, manifest));
  const result = await runSelfTest(model, manifest, selfTestSet);
  if (!result.ok) {
    await model.close();
    throw new AgentError('SELF_TEST_FAILED', `installed ${line} v${manifest.version} fails its self-test`);
  }
  return { version: manifest.version, digest: manifest.digest, manifest, model };
}

async function restoreShadow(options: BootOptions, line: string): Promise<void> {
  try {
    const slot = await options.slots.shadow(line);
    if (slot === undefined) return;
    options.shadows.activate(line, await loadSlot(options, line, slot));
    options.logger.info({ line, version: slot.version }, 'challenger running in shadow');
  } catch (error) {
    options.logger.error({ line, err: error }, 'shadow slot not usable; no shadow runs for this line');
  }
}

/** Activates every installed line; returns the lines that could not be activated. */
export async function activateInstalled(options: BootOptions): Promise<string[]> {
  const failed: string[] = [];
  for (const line of await options.slots.lines()) {
    let pointer: Awaited<ReturnType<SlotStore['current']>>;
    try {
      pointer = await options.slots.current(line);
    } catch (error) {
      options.logger.error({ line, err: error }, 'slot pointer unreadable');
      failed.push(line);
      continue;
    }
    const candidates = [pointer, pointer?.previous].filter((s): s is SlotRef => s !== undefined && s !== null);
    let active = false;
    for (const slot of candidates) {
      try {
        const entry = await loadSlot(options, line, slot);
        options.service.activate(line, entry);
        options.logger.info({ line, version: entry.version }, 'installed model active');
        active = true;
        break;
      } catch (error) {
        options.logger.error({ line, slot: slot.dir, err: error }, 'slot not usable');
      }
    }
    if (!active) failed.push(line);
    await restoreShadow(options, line);
  }
  return failed;
}
