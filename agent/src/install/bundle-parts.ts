/**
 * The two parts of an installed model bundle (protocol model-bundle.ts): the model file, which the runtime
 * loads from the head of the slot file, and the self-test set at its tail, read and decoded here. The slot
 * file's sha256 was checked against the signed manifest before either is used.
 */
import { open } from 'node:fs/promises';
import { decodeSelfTestSet, type ManifestBody, type SelfTestSet } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import type { LoadOptions } from '../runtime/runtime.js';

export function loadOptionsOf(modelPath: string, manifest: ManifestBody): LoadOptions {
  return {
    modelPath,
    modelBytes: manifest.modelBytes,
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    // The slot holds the fetched bundle whose sha256 matched the manifest (or a verified challenger's).
    sha256: manifest.digest,
  };
}

export async function readSelfTestSet(bundlePath: string, manifest: ManifestBody): Promise<SelfTestSet> {
  if (manifest.modelBytes === undefined || manifest.selfTest === undefined) {
    throw new AgentError('SCHEMA_INVALID', `${manifest.line} v${manifest.version} is not a model manifest`);
  }
  const length = manifest.selfTest.bytes;
  const tail = new Uint8Array(length);
  const handle = await open(bundlePath, 'r');
  try {
    const { bytesRead } = await handle.read(tail, 0, length, manifest.modelBytes);
    if (bytesRead !== length) {
      throw new AgentError('BUNDLE_HASH_MISMATCH', `${bundlePath} ends before its self-test set does`);
    }
  } finally {
    await handle.close();
  }
  return decodeSelfTestSet(tail);
}
