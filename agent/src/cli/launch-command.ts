/**
 * `edgefleet-agent launch --config <agent.json> --base <entry>`: the launcher (see
 * self-update/launcher.ts), what the systemd unit runs. `--base` is the agent entry the service was
 * installed with (install-service writes `<prefix>/agent.mjs`; in a checkout, bin/edgefleet-agent.js);
 * releases run from `${stateDir}/releases/`. Stops its agent and exits 0 on SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { DEFAULTS, merge } from '../config.js';
import { loadConfigFile } from '../config-file.js';
import { createLauncher, type LauncherSettings } from '../self-update/launcher.js';
import { createReleaseStore } from '../self-update/release-store.js';
import { type CommandIo, helpRequested } from './command-io.js';

export const LAUNCH_USAGE = `usage: edgefleet-agent launch --config <agent.json> --base <agent entry .mjs/.js>
`;

export async function launchCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (helpRequested(args, io, LAUNCH_USAGE)) return 0;
  let values: { config?: string | undefined; base?: string | undefined };
  try {
    values = parseArgs({ args: [...args], options: { config: { type: 'string' }, base: { type: 'string' } } }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\n${LAUNCH_USAGE}`);
    return 2;
  }
  if (values.config === undefined || values.base === undefined) {
    io.err(`--config and --base are required\n${LAUNCH_USAGE}`);
    return 2;
  }
  let config: Awaited<ReturnType<typeof loadConfigFile>>;
  try {
    config = await loadConfigFile(values.config);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  const logger = pino({ name: 'launcher', level: config.logLevel ?? process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const launcher = createLauncher({
    store: createReleaseStore({ stateDir: config.stateDir }),
    baseEntry: resolve(values.base),
    agentArgs: ['run', '--config', resolve(values.config)],
    settings: merge<LauncherSettings>(DEFAULTS.launcher, config.launcher),
    logger,
  });
  process.once('SIGINT', () => launcher.stop());
  process.once('SIGTERM', () => launcher.stop());
  return launcher.run();
}
