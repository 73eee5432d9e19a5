/**
 * `pnpm release:agent --keys <control plane keys.json> [--out DIR] [--arch x64|arm64] [--native-from DIR]`:
 * builds the device artifact `edgefleet-agent-<version>-linux-<arch>.tar.gz` (agent/src/service/
 * release-artifact.ts), signed by the control plane's targets key. `--native-from` names a directory whose
 * node_modules hold better-sqlite3 and onnxruntime-node built for `--arch` (scripts/release-agent-arm64.sh
 * cross-compiles one for arm64 and checks the artifact under qemu). Prints the artifact's path, size and
 * SHA-256.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildArtifact } from '@edgefleet/agent';
import { releaseSigning } from '@edgefleet/control-plane';

const USAGE = `usage: pnpm release:agent --keys <control plane data dir>/keys.json [--out dist-release]
         [--arch x64|arm64] [--native-from DIR] [--node-abi N]
`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      options: {
        keys: { type: 'string' },
        out: { type: 'string', default: 'dist-release' },
        arch: { type: 'string' },
        'native-from': { type: 'string' },
        'node-abi': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof values.keys !== 'string') {
    process.stderr.write(`--keys is required: the artifact is signed by the control plane's targets key\n${USAGE}`);
    return 2;
  }
  const root = resolve(import.meta.dirname, '..');
  const { version } = JSON.parse(readFileSync(resolve(root, 'agent/package.json'), 'utf8')) as { version: string };
  const outDir = resolve(values.out as string);
  await mkdir(outDir, { recursive: true });
  const started = Date.now();
  const artifact = await buildArtifact({
    outDir,
    version,
    ...(typeof values.arch === 'string' ? { arch: values.arch } : {}),
    ...(typeof values['native-from'] === 'string' ? { nativeFrom: resolve(values['native-from']) } : {}),
    ...(typeof values['node-abi'] === 'string' ? { nodeAbi: values['node-abi'] } : {}),
    ...releaseSigning(resolve(values.keys)),
  });
  process.stdout.write(
    `${JSON.stringify(
      {
        tarball: artifact.tarball,
        megabytes: Number((artifact.bytes / 1e6).toFixed(1)),
        sha256: artifact.sha256,
        files: artifact.manifest.files.length,
        seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
      },
      null,
      2,
    )}\n`,
  );
  return 0;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`release:agent failed: ${(error as Error).message}\n`);
  return 1;
});
