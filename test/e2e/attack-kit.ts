/**
 * Crafting hostile or broken documents for the rejection tests: the test holds the control plane's keys
 * (passed in at start), so it can sign exactly what a compromised or buggy control plane would send, and
 * publish it raw on the device's retained `desired` topic.
 */
import { randomBytes } from 'node:crypto';
import { type BlobStore, createFileBlobStore } from '@edgefleet/control-plane';
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

/** What a hostile mirror does with the chunks of one bundle; `honest` serves the stored bytes. */
export type MirrorMode = 'honest' | 'arbitrary-content' | 'endless-data';

export interface HostileMirror {
  readonly store: BlobStore;
  /** Turns the attack on for one bundle digest (or off with `honest`). */
  attack(digest: string, mode: MirrorMode): void;
  /** Chunks served with the attack applied. */
  readonly tampered: number;
}

/**
 * The control plane's blob store behind an attacker: a compromised mirror or CDN in TUF's threat model
 * (Samuel et al. 2010 §3). It serves random bytes of the right length (arbitrary content) or each chunk
 * followed by 64 KiB of junk (endless data) for the attacked digest; everything else passes through.
 */
export function hostileMirror(dir: string): HostileMirror {
  const inner = createFileBlobStore({ dir });
  const modes = new Map<string, MirrorMode>();
  let tampered = 0;
  return {
    store: {
      put: (bytes) => inner.put(bytes),
      has: (digest) => inner.has(digest),
      get: (digest) => inner.get(digest),
      async readRange(digest, range) {
        const bytes = await inner.readRange(digest, range);
        const mode = modes.get(digest) ?? 'honest';
        if (bytes === null || mode === 'honest') return bytes;
        tampered++;
        if (mode === 'arbitrary-content') return new Uint8Array(randomBytes(bytes.length));
        return Uint8Array.from([...bytes, ...randomBytes(64 * 1024)]);
      },
    },
    attack(digest, mode) {
      modes.set(digest, mode);
    },
    get tampered() {
      return tampered;
    },
  };
}
