/**
 * Entry of the bundled launcher (`launcher.mjs`, written by install-service): only `launch`, so the
 * process systemd keeps running holds no ONNX, SQLite or MQTT code — a few MiB of JavaScript on Node.
 */
import { processIo } from './command-io.js';
import { launchCommand } from './launch-command.js';

process.exitCode = await launchCommand(process.argv.slice(2), processIo);
