/**
 * The `edgefleet-agent` command: dispatches to its subcommands. `run` (the default) is the agent itself;
 * `launch` the stable launcher systemd starts; `doctor` checks what the agent sees;
 * `install-service` writes the systemd unit, the bundled launcher and agent, and a default config; `bundle`
 * builds an agent release for `POST /v1/agent-releases`. Exit codes per subcommand (see each module);
 * 2 is always bad usage or config.
 */
import { type CommandIo, processIo } from './cli/command-io.js';
import { launchCommand } from './cli/launch-command.js';
import { RUN_USAGE, runCommand } from './cli/run-command.js';

const USAGE = `usage: edgefleet-agent [run] --config <agent.json>       run the agent
       edgefleet-agent launch --config <agent.json> --base <entry>   run the launcher (what systemd starts)
       edgefleet-agent doctor --config <agent.json> [--json]     check broker, clock, disk, runtimes, models
       edgefleet-agent install-service [options]                 write the systemd unit, bundles and config
       edgefleet-agent bundle --out <agent.mjs>                  build an agent release bundle

${RUN_USAGE}`;

type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  run: runCommand,
  launch: launchCommand,
  // Lazy: these pull in esbuild and the checks, which the agent process itself never needs.
  doctor: async (args, io) => (await import('./cli/doctor-command.js')).doctorCommand(args, io),
  'install-service': async (args, io) =>
    (await import('./cli/install-service-command.js')).installServiceCommand(args, io),
  bundle: async (args, io) => (await import('./cli/bundle-command.js')).bundleCommand(args, io),
});

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    processIo.out(USAGE);
    return 0;
  }
  if (first === undefined || first.startsWith('-')) return runCommand(argv, processIo);
  const command = COMMANDS[first];
  if (command === undefined) {
    processIo.err(`unknown command ${first}\n${USAGE}`);
    return 2;
  }
  return command(rest, processIo);
}

process.exitCode = await main(process.argv.slice(2));
