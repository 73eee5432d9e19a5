/**
 * Builds the agent into one JavaScript file with esbuild, at build time only (esbuild is a development
 * dependency; nothing is bundled on a device): `src/cli.ts` → `agent.mjs`, what the release artifact
 * carries and what an agent release (self-update) is. Native modules stay outside (see
 * native-modules.ts). Why a bundle: one verifiable file, no module resolution at start, and a smaller heap
 * (footprint numbers in docs/benchmarks.md).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_MODULES } from '../self-update/native-modules.js';
import { sha256File } from '../storage/file-sha256.js';

/** The agent's CLI source, found from the package root so this works from src/ and from a compiled copy. */
export const AGENT_ENTRY = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

// ESM bundles of CommonJS dependencies (pino, mqtt) still call require(); give them one.
const REQUIRE_SHIM =
  "import { createRequire as __efRequire } from 'node:module'; const require = __efRequire(import.meta.url);";

export async function buildBundle(options: {
  outFile: string;
  minify?: boolean;
}): Promise<{ outFile: string; sizeBytes: number; sha256: string }> {
  const esbuild = await import('esbuild');
  await mkdir(dirname(options.outFile), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [AGENT_ENTRY],
    outfile: options.outFile,
    bundle: true,
    platform: 'node',
    // The workspace packages' TypeScript sources, as tests run them: a bundle never depends on a prior build.
    conditions: ['@edgefleet/source'],
    format: 'esm',
    target: 'node20',
    minify: options.minify ?? true,
    legalComments: 'none',
    external: [...NATIVE_MODULES, 'esbuild'],
    banner: { js: REQUIRE_SHIM },
    logLevel: 'silent',
    metafile: true,
  });
  const output = result.metafile.outputs[Object.keys(result.metafile.outputs)[0] ?? ''];
  return { outFile: options.outFile, sizeBytes: output?.bytes ?? 0, sha256: await sha256File(options.outFile) };
}
