/**
 * The control plane's signing keys (root, targets, director). Given explicitly they are used as-is (tests,
 * demos with fixed seeds); otherwise they are loaded from `${dataDir}/keys.json`, or generated there on first
 * start. The file holds only 32-byte seeds in hex and is created with mode 0600: whoever reads it can sign
 * manifests and desired state for the whole fleet.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, ROLE_NAMES, type RootKeys, type SigningKey, seedOf } from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';

const seedHex = z.string().regex(/^[0-9a-f]{64}$/);
const keyFileSchema = z.object({
  root: z.array(seedHex).min(1),
  targets: z.array(seedHex).min(1),
  director: z.array(seedHex).min(1),
});

function fromSeeds(seeds: string[]): SigningKey[] {
  return seeds.map((hex) => generateSigningKey(Buffer.from(hex, 'hex')));
}

function toSeeds(keys: readonly SigningKey[]): string[] {
  return keys.map((k) => Buffer.from(seedOf(k)).toString('hex'));
}

export function loadOrCreateKeys(options: { dataDir: string }): RootKeys {
  const file = join(options.dataDir, 'keys.json');
  if (existsSync(file)) {
    const parsed = keyFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      throw new ControlPlaneError('SCHEMA_INVALID', `${file} is not a valid key file`, { details: { file } });
    }
    return {
      root: fromSeeds(parsed.data.root),
      targets: fromSeeds(parsed.data.targets),
      director: fromSeeds(parsed.data.director),
    };
  }
  const keys: RootKeys = {
    root: [generateSigningKey()],
    targets: [generateSigningKey()],
    director: [generateSigningKey()],
  };
  const content = Object.fromEntries(ROLE_NAMES.map((role) => [role, toSeeds(keys[role])]));
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return keys;
}
