/**
 * The `edgefleet` operator CLI: one commander program, one module per command group, talking to a
 * control plane only over HTTP. Errors print one clear line to stderr and exit with the documented code
 * (context.ts EXIT); an auth failure adds how to fix it.
 */
import { EdgefleetError } from '@edgefleet/protocol';
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit.js';
import { registerDeviceCommands } from './commands/devices.js';
import { registerDriftCommands } from './commands/drift.js';
import { registerFlCommands } from './commands/fl.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerLoginCommand } from './commands/login.js';
import { registerModelCommands } from './commands/models.js';
import { registerRolloutCommands } from './commands/rollouts.js';
import { registerTokenCommands } from './commands/tokens.js';
import { createContext, EXIT, exitCodeOf } from './context.js';

function hintFor(error: EdgefleetError): string {
  if (error.code === 'AUTH_REQUIRED') return '\nhint: the token was refused — run `edgefleet login --token <token>`';
  if (error.code === 'AUTH_FORBIDDEN') return "\nhint: this token's role may not do this (viewer tokens only read)";
  if (error.code === 'SERVER_UNREACHABLE')
    return '\nhint: is the control plane running? set --server or EDGEFLEET_SERVER';
  return '';
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('edgefleet')
    .description('Operate an edgefleet control plane: models, devices, rollouts, drift, federated learning')
    .option('--server <url>', 'control plane URL (env EDGEFLEET_SERVER, config file, default http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (env EDGEFLEET_TOKEN, or the config file written by `login`)')
    .option('--json', 'print JSON instead of tables')
    .exitOverride()
    .showHelpAfterError();
  const ctx = createContext(program);
  registerLoginCommand(program, ctx);
  registerModelCommands(program, ctx);
  registerDeviceCommands(program, ctx);
  registerRolloutCommands(program, ctx);
  registerDriftCommands(program, ctx);
  registerFlCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerKeyCommands(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof EdgefleetError) {
      process.stderr.write(`error: ${error.message} (${error.code})${hintFor(error)}\n`);
      return exitCodeOf(error.code);
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.refused;
  }
}
