/**
 * Crafting hostile or broken documents for the rejection tests: the test holds the control plane's keys
 * (passed in at start), so it can sign exactly what a compromised or buggy control plane would send, and
 * publish it raw on the device's retained `desired` topic.
 */
import {
  type DesiredBody,
  decodeCbor,
  deviceTopic,
  encodeCbor,
  generateSigningKey,
  type ManifestBody,
  manifestBodySchema,
  type RootKeys,
  type SignedDocument,
  signDocument,
  signedDocumentSchema,
} from '@edgefleet/protocol';
import type { Fleet } from '../src/index.js';

export function fleetKeys(): RootKeys {
  return { root: [generateSigningKey()], targets: [generateSigningKey()], director: [generateSigningKey()] };
}

/** The registered manifest of a version, as the control plane signed it. */
export async function fetchManifest(
  fleet: Fleet,
  line: string,
  version: number,
): Promise<{ body: ManifestBody; doc: SignedDocument }> {
  const r = await fleet.api.get(`/v1/models/${line}/versions/${version}`);
  const doc = decodeCbor(Buffer.from(r.body.signedManifest as string, 'base64'), signedDocumentSchema);
  return { body: decodeCbor(doc.body, manifestBodySchema), doc };
}

export async function currentDesiredSeq(fleet: Fleet, deviceId: string): Promise<number> {
  const r = await fleet.api.get(`/v1/devices/${deviceId}`);
  return (r.body.desired?.seq as number | undefined) ?? 0;
}

export interface CraftDesired {
  readonly deviceId: string;
  readonly seq: number;
  readonly manifest: SignedDocument;
  readonly line?: string;
  readonly expiresAt?: number;
  readonly signers: RootKeys['director'];
}

export function craftDesired(options: CraftDesired): Uint8Array {
  const now = Date.now();
  const body: DesiredBody = {
    _type: 'desired',
    deviceId: options.deviceId,
    seq: options.seq,
    issuedAt: now,
    expiresAt: options.expiresAt ?? now + 3_600_000,
    rolloutId: 'crafted',
    assignments: [{ line: options.line ?? 'iris', manifest: options.manifest }],
  };
  return encodeCbor({ v: 1, type: 'desired', ts: now, doc: signDocument(body, options.signers) });
}

export async function publishDesired(fleet: Fleet, deviceId: string, payload: Uint8Array): Promise<void> {
  await fleet.cp.broker.publish(deviceTopic(deviceId, 'desired'), payload, { qos: 1, retain: true });
}
