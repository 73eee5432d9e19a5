/**
 * What every `edgefleet-agent` subcommand shares: where it writes (stdout/stderr, injectable for tests) and
 * how it reads the `--config` file — a bad or missing file is exit code 2 with the offending field named.
 */
import { parseArgs } from 'node:util';
import { type ConfigFile, loadConfigFile } from '../config-file.js';

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** True (after printing `usage`) when the arguments ask for help: every subcommand answers `--help` with 0. */
export function helpRequested(args: readonly string[], io: CommandIo, usage: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  io.out(usage.endsWith('\n') ? usage : `${usage}\n`);
  return true;
}

/** Parses `--config <path>` (and `--help`); returns the config, or the exit code to stop with. */
export async function readConfigOption(
  args: readonly string[],
  io: CommandIo,
  usage: string,
): Promise<ConfigFile | number> {
  let configPath: string | undefined;
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      io.out(usage);
      return 0;
    }
    configPath = values.config;
  } catch (error) {
    io.err(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (configPath === undefined) {
    io.err(`--config is required\n${usage}`);
    return 2;
  }
  try {
    return await loadConfigFile(configPath);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
}
