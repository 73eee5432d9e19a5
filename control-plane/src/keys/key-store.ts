/**
 * The control plane's key file, `${dataDir}/keys.json`: the 32-byte seeds of the current root, targets and
 * director keys in hex, and the chain of root documents once a rotation happened (base64 CBOR, v1 first).
 * Written atomically with mode 0600: whoever reads it can sign manifests and desired state for the fleet.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  decodeCbor,
  encodeCbor,
  generateSigningKey,
  ROLE_NAMES,
  type RootKeys,
  type SignedDocument,
  type SigningKey,
  seedOf,
  signedDocumentSchema,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';

const seedHex = z.string().regex(/^[0-9a-f]{64}$/);
const keyFileSchema = z.object({
  root: z.array(seedHex).min(1),
  targets: z.array(seedHex).min(1),
  director: z.array(seedHex).min(1),
  chain: z.array(z.string().min(1)).optional(),
});

export interface KeyFile {
  readonly keys: RootKeys;
  /** Root documents v1..vN; absent until the first rotation (v1 is then signed at every start). */
  readonly chain?: readonly SignedDocument[];
}

function fromSeeds(seeds: string[]): SigningKey[] {
  return seeds.map((hex) => generateSigningKey(Buffer.from(hex, 'hex')));
}

function toSeeds(keys: readonly SigningKey[]): string[] {
  return keys.map((k) => Buffer.from(seedOf(k)).toString('hex'));
}

export function readKeyFile(file: string): KeyFile | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = keyFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new ControlPlaneError('SCHEMA_INVALID', `${file} is not a valid key file`, { details: { file } });
  }
  const { root, targets, director, chain } = parsed.data;
  const keys = { root: fromSeeds(root), targets: fromSeeds(targets), director: fromSeeds(director) };
  if (chain === undefined) return { keys };
  return {
    keys,
    chain: chain.map((b64) => decodeCbor(new Uint8Array(Buffer.from(b64, 'base64')), signedDocumentSchema)),
  };
}

/** Replaces the file in one rename, so a crash leaves the old keys or the new ones, never half of each. */
export function writeKeyFile(file: string, content: KeyFile, options: { create?: boolean } = {}): void {
  const json: Record<string, unknown> = Object.fromEntries(
    ROLE_NAMES.map((role) => [role, toSeeds(content.keys[role])]),
  );
  if (content.chain !== undefined) json.chain = content.chain.map((d) => Buffer.from(encodeCbor(d)).toString('base64'));
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (options.create === true) {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export function generateKeys(like?: RootKeys): RootKeys {
  const fresh = (n: number) => Array.from({ length: n }, () => generateSigningKey());
  return {
    root: fresh(like?.root.length ?? 1),
    targets: fresh(like?.targets.length ?? 1),
    director: fresh(like?.director.length ?? 1),
  };
}

export function loadOrCreateKeys(file: string): KeyFile {
  const existing = readKeyFile(file);
  if (existing !== undefined) return existing;
  const keys = generateKeys();
  writeKeyFile(file, { keys }, { create: true });
  return { keys };
}
