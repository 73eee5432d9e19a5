/**
 * Builds the agent into single JavaScript files with esbuild (the bundler tsx itself runs on): the agent
 * (`src/cli.ts` → `agent.mjs`, what a release bundle and the service's base agent are) and the launcher
 * (`src/cli/launcher-entry.ts` → `launcher.mjs`). Native modules stay outside (see native-modules.ts) and
 * are linked beside the bundle. Why a bundle at all: the service should not transpile TypeScript at every
 * start (tsx), and a release must be one verifiable file (footprint numbers in docs/benchmarks.md).
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_MODULES, nativeModuleDirs } from '../self-update/native-modules.js';
import { sha256File } from '../storage/file-sha256.js';

export const BUILD_ENTRIES = Object.freeze({
  agent: fileURLToPath(new URL('../cli.ts', import.meta.url)),
  launcher: fileURLToPath(new URL('../cli/launcher-entry.ts', import.meta.url)),
});

// ESM bundles of CommonJS dependencies (pino, mqtt) still call require(); give them one.
const REQUIRE_SHIM =
  "import { createRequire as __efRequire } from 'node:module'; const require = __efRequire(import.meta.url);";

export async function buildBundle(options: {
  entry: keyof typeof BUILD_ENTRIES;
  outFile: string;
  minify?: boolean;
}): Promise<{ outFile: string; sizeBytes: number; sha256: string }> {
  const esbuild = await import('esbuild');
  await mkdir(dirname(options.outFile), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [BUILD_ENTRIES[options.entry]],
    outfile: options.outFile,
    bundle: true,
    platform: 'node',
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

/** Links `dir/node_modules/<native>` to this install's copies, so a bundle in `dir` can import them. */
export async function linkNativeModules(dir: string): Promise<void> {
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  for (const [name, target] of Object.entries(await nativeModuleDirs())) {
    const link = join(dir, 'node_modules', name);
    await rm(link, { force: true, recursive: true });
    await symlink(target, link);
  }
}
