/**
 * Every binary answers `--help` with its usage and exit code 0, and an unknown flag with a message, its
 * usage and a non-zero exit code: never a stack trace. Every subcommand answers `--help` too; the operator
 * CLI's commands are discovered from its own help, so a new one is covered without editing this test.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandsIn } from '../reference/render-references.js';
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

const SUBCOMMANDS = [
  ['agent', 'edgefleet-agent', ['run', 'doctor', 'install-service']],
  ['simulator', 'edgefleet-sim', ['run', 'fl']],
] as const;

describe.each(SUBCOMMANDS)('%s/%s subcommands', (pkg, bin, commands) => {
  it.each(commands)('%s --help prints its usage and exits 0', async (command) => {
    const help = await run(pkg, bin, [command, '--help']);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/usage/i);
  });
});

describe('control-plane/edgefleet subcommands', () => {
  it('every command and subcommand answers --help with exit code 0', async () => {
    const groups = commandsIn((await run('control-plane', 'edgefleet', ['--help'])).out);
    expect(groups).toEqual(expect.arrayContaining(['models', 'devices', 'rollouts', 'keys', 'tokens']));
    const checked: string[] = [];
    for (const group of groups) {
      const help = await run('control-plane', 'edgefleet', [group, '--help']);
      expect(help.code, `${group} --help`).toBe(0);
      for (const command of commandsIn(help.out)) {
        const sub = await run('control-plane', 'edgefleet', [group, command, '--help']);
        expect(sub.code, `${group} ${command} --help`).toBe(0);
        expect(sub.out).toMatch(/usage/i);
        checked.push(`${group} ${command}`);
      }
    }
    expect(checked.length).toBeGreaterThan(20);
  }, 120_000);
});
