/**
 * credentials.json as enrolment leaves it (helpers for trust tests), and the root versions persisted in
 * its `rootChain`, decoded with the protocol's own functions.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  claimedRootVersion,
  decodeCbor,
  encodeCbor,
  type SignedDocument,
  signedDocumentSchema,
} from '@edgefleet/protocol';

const base64 = (doc: SignedDocument) => Buffer.from(encodeCbor(doc)).toString('base64');

export async function writeCredentials(
  stateDir: string,
  options: { deviceId: string; root: SignedDocument; rootChain?: SignedDocument[]; mqttUrl?: string },
): Promise<void> {
  const credentials = {
    deviceId: options.deviceId,
    mqtt: { url: options.mqttUrl ?? 'mqtt://127.0.0.1:1', username: options.deviceId, password: 'x' },
    root: base64(options.root),
    ...(options.rootChain === undefined ? {} : { rootChain: options.rootChain.map(base64) }),
  };
  // 0644 as written by hand: the agent's own writes must make it 0600.
  await writeFile(join(stateDir, 'credentials.json'), JSON.stringify(credentials), { mode: 0o644 });
}

/** The versions of the root documents persisted after `root`, in file order. */
export async function persistedChainVersions(stateDir: string): Promise<number[]> {
  const stored = JSON.parse(await readFile(join(stateDir, 'credentials.json'), 'utf8')) as { rootChain?: string[] };
  return (stored.rootChain ?? []).map((b64) =>
    claimedRootVersion(decodeCbor(new Uint8Array(Buffer.from(b64, 'base64')), signedDocumentSchema)),
  );
}
