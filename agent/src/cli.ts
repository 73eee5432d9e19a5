/**
 * The `edgefleet-agent` command: reads a JSON config file, starts the agent with the local HTTP API on
 * 127.0.0.1:8711 unless the file says otherwise, logs JSON (pino) to stdout, and shuts down gracefully on
 * SIGINT/SIGTERM. Exit codes: 0 clean stop, 1 start-up failure, 2 bad usage or config.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createAgent } from './agent.js';
import { DEFAULTS, loadConfigFile } from './config.js';
import { AgentError } from './errors.js';

const USAGE = `usage: edgefleet-agent --config <agent.json>

Config file (JSON):
  stateDir          directory for credentials, models, telemetry queue (required)
  rootPublicKeys    pinned root public keys, hex (required)
  controlPlaneUrl   control plane URL, needed for the first start (enrolment)
  enrolmentToken    one-time enrolment token, needed for the first start
  deviceId          requested device id at enrolment (optional)
  mqttUrl           broker URL override (optional)
  httpApi           { host, port } for the local inference API, or false (default 127.0.0.1:8711)
  logLevel          fatal|error|warn|info|debug|trace|silent
  hardwareProfile   operator-assigned hardware profile, e.g. "pi4-2gb" (reported; rollouts select by it)
  fl                federated training policy { enabled, minSamples, idleMs, requirePower, maxTemperatureC, maxSamples, backend }
  backoff, fetch, telemetry, drift, shadow, reportIntervalMs   tuning (see DEFAULTS)
`;

async function main(): Promise<number> {
  let configPath: string | undefined;
  try {
    const { values } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    configPath = values.config;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (configPath === undefined) {
    process.stderr.write(`--config is required\n${USAGE}`);
    return 2;
  }
  let config: Awaited<ReturnType<typeof loadConfigFile>>;
  try {
    config = await loadConfigFile(configPath);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const logger = pino({ level: config.logLevel ?? process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const { logLevel: _logLevel, httpApi, ...rest } = config;
  let agent: Awaited<ReturnType<typeof createAgent>>;
  try {
    agent = await createAgent({ ...rest, httpApi: httpApi ?? { ...DEFAULTS.cliHttpApi }, logger });
  } catch (error) {
    logger.fatal({ err: error, code: error instanceof AgentError ? error.code : undefined }, 'agent failed to start');
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await agent.close();
  return 0;
}

process.exitCode = await main();
