/**
 * Vitest global set-up: builds the packages once before any test runs (`tsc -b`, incremental — about a second
 * when nothing changed). In-process tests import the TypeScript sources through the `@edgefleet/source`
 * condition, but every binary a test spawns (`bin/*.js`) runs the compiled `dist/`, so it must be current.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Each vitest project inherits this set-up and would run it again; once per vitest process is enough.
const BUILT = Symbol.for('edgefleet.build-once');

export default function setup(): void {
  const state = globalThis as { [BUILT]?: true };
  if (state[BUILT]) return;
  state[BUILT] = true;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
