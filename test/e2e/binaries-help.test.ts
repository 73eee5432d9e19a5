/**
 * Every binary answers `--help` with its usage and exit code 0, and an unknown flag with a message, its
 * usage and a non-zero exit code: never a stack trace.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runBinary } from '../src/index.js';

const BINARIES = [
  ['control-plane', 'edgefleet-control-plane'],
  ['control-plane', 'edgefleet'],
  ['agent', 'edgefleet-agent'],
  ['firmware-bridge', 'edgefleet-gateway'],
  ['firmware-bridge', 'edgefleet-mcu-emu'],
  ['simulator', 'edgefleet-sim'],
] as const;

function run(pkg: string, bin: string, args: string[]): Promise<{ code: number; out: string }> {
  const path = fileURLToPath(new URL(`../../${pkg}/bin/${bin}.js`, import.meta.url));
  return runBinary(path, args).then(({ code, stdout, stderr }) => ({ code, out: stdout + stderr }));
}

describe.each(BINARIES)('%s/%s', (pkg, bin) => {
  it('prints its usage for --help and refuses an unknown flag without a stack trace', async () => {
    const [help, bogus] = await Promise.all([run(pkg, bin, ['--help']), run(pkg, bin, ['--no-such-flag'])]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/usage/i);
    expect(bogus.code).not.toBe(0);
    expect(bogus.out).toMatch(/usage/i);
    expect(bogus.out).not.toMatch(/\n\s+at /);
  });
});
