/**
 * The `edgefleet-agent` command: dispatches to its subcommands. `run` (the default) is the agent itself;
 * `doctor` checks what the agent sees; `install-service` installs the service from an unpacked release
 * artifact (files, systemd unit, default config). Exit codes per subcommand (see each module); 2 is always
 * bad usage or config.
 */
import { type CommandIo, processIo } from './cli/command-io.js';
import { RUN_USAGE, runCommand } from './cli/run-command.js';

const USAGE = `usage: edgefleet-agent [run] --config <agent.json>       run the agent
       edgefleet-agent doctor --config <agent.json> [--json]     check broker, clock, disk, runtimes, models
       edgefleet-agent install-service [options]                 install the service from a release artifact

${RUN_USAGE}`;

type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  run: runCommand,
  // Lazy: the checks and the installer, which the agent process itself never needs.
  doctor: async (args, io) => (await import('./cli/doctor-command.js')).doctorCommand(args, io),
  'install-service': async (args, io) =>
    (await import('./cli/install-service-command.js')).installServiceCommand(args, io),
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
