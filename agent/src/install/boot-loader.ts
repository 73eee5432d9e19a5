/**
 * Start-up activation of installed models, before any network: for each line, the slot named by
 * current.json (falling back to `previous`) is checked — manifest signature against the enrolled root
 * (expiry is not re-checked: an installed model keeps serving while offline), pointer/manifest agreement,
 * the model file's sha256 — then loaded, self-tested and activated. So the device serves predictions even
 * when the broker is unreachable, and a slot damaged on disk is never served.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  decodeCbor,
  type ManifestBody,
  manifestBodySchema,
  signedDocumentSchema,
  type TrustedRoot,
  verifyDocument,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import type { InferenceService } from '../inference/inference-service.js';
import type { Runtime } from '../runtime/runtime.js';
import { runSelfTest } from '../runtime/self-test.js';
import { MANIFEST_FILE, MODEL_FILE, type SlotRef, type SlotStore } from './slot-store.js';

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

async function activateSlot(
  options: { slots: SlotStore; runtime: Runtime; service: InferenceService; root: TrustedRoot },
  line: string,
  slot: SlotRef,
): Promise<ManifestBody> {
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
  if ((await fileSha256(modelPath)) !== manifest.digest) {
    throw new AgentError('BUNDLE_HASH_MISMATCH', `model file of ${line} ${slot.dir} is damaged`);
  }
  const model = await options.runtime.load({
    modelPath,
    inputName: manifest.selfTest.input,
    outputName: manifest.selfTest.output,
  });
  const result = await runSelfTest(model, manifest.selfTest);
  if (!result.ok) {
    await model.close();
    throw new AgentError('SELF_TEST_FAILED', `installed ${line} v${manifest.version} fails its self-test`);
  }
  options.service.activate(line, { version: manifest.version, digest: manifest.digest, manifest, model });
  return manifest;
}

/** Activates every installed line; returns the lines that could not be activated. */
export async function activateInstalled(options: {
  slots: SlotStore;
  runtime: Runtime;
  service: InferenceService;
  root: TrustedRoot;
  logger: Logger;
}): Promise<string[]> {
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
        const manifest = await activateSlot(options, line, slot);
        options.logger.info({ line, version: manifest.version }, 'installed model active');
        active = true;
        break;
      } catch (error) {
        options.logger.error({ line, slot: slot.dir, err: error }, 'slot not usable');
      }
    }
    if (!active) failed.push(line);
  }
  return failed;
}
