/**
 * The native modules an agent build does not bundle: better-sqlite3 and onnxruntime-node carry
 * compiled binaries for this board's architecture and Node ABI, so every release uses the base install's
 * copies through symlinks in its directory. A release that needs other native versions is not a
 * self-update but a new release artifact installed with install-service (docs/devices.md).
 */
import { realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

export const NATIVE_MODULES = Object.freeze(['better-sqlite3', 'onnxruntime-node'] as const);

/**
 * Where a release links each native module: under the service, the base install's stable path
 * (`<prefix>/current/node_modules/<name>`, so links survive an upgrade of the base); otherwise the real
 * package directory this process resolves.
 */
export async function nativeModuleDirs(
  serviceBase = process.env.EDGEFLEET_SERVICE_BASE,
): Promise<Record<string, string>> {
  if (serviceBase !== undefined && serviceBase !== '') {
    return Object.fromEntries(NATIVE_MODULES.map((name) => [name, join(serviceBase, 'node_modules', name)]));
  }
  const require = createRequire(import.meta.url);
  const dirs: Record<string, string> = {};
  for (const name of NATIVE_MODULES) {
    const main = await realpath(require.resolve(name));
    // The package dir is the path up to and including `node_modules/<name>`.
    const marker = `${sep}node_modules${sep}${name}${sep}`;
    const at = main.lastIndexOf(marker);
    dirs[name] = at >= 0 ? main.slice(0, at + marker.length - 1) : join(dirname(main), '..');
  }
  return dirs;
}
