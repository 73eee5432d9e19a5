/**
 * `edgefleet-agent [run] --config <agent.json>`: starts the agent with the local HTTP API on 127.0.0.1:8711
 * unless the file says otherwise, logs JSON lines (pino: one record per line, no colours — what journald
 * stores as is) to stdout, and stops gracefully on SIGINT/SIGTERM. Under the systemd service it tells
 * systemd when it is ready and pings its watchdog (sd-notify.ts), and exits 75 after staging an agent
 * release (or reverting one on trial) so systemd restarts it into the release. Exit codes: 0 clean stop,
 * 1 start-up failure, 2 bad usage or config, 75 restart into another release.
 */
import { pino } from 'pino';
import { createAgent } from '../agent.js';
import { DEFAULTS } from '../config.js';
import { AgentError } from '../errors.js';
import { RESTART_EXIT_CODE, SERVICE_ENV } from '../self-update/self-update.js';
import { createSdNotify } from '../service/sd-notify.js';
import { collectStartupGarbage } from '../system/startup-heap.js';
import { type CommandIo, readConfigOption } from './command-io.js';

export const RUN_USAGE = `usage: edgefleet-agent [run] --config <agent.json>

Config file (JSON; every field is in docs/configuration.md and in the file install-service writes):
  stateDir          directory for credentials, models, releases, telemetry queue (required)
  rootPublicKeys    pinned root public keys, hex (required)
  controlPlaneUrl   control plane URL, needed for the first start (enrolment) and doctor's clock check
  enrolmentToken    one-time enrolment token, needed for the first start
  deviceId          requested device id at enrolment (optional)
  mqttUrl           broker URL override (optional)
  httpApi           { host, port, maxBodyBytes, token, allowedHosts } for the local inference API, or false
                    (default 127.0.0.1:8711; a token is required when host is not loopback)
  logLevel          fatal|error|warn|info|debug|trace|silent
  hardwareProfile   operator-assigned hardware profile, e.g. "pi4-2gb" (reported; rollouts select by it)
  fl                federated training policy { enabled, minSamples, idleMs, requirePower, maxTemperatureC, maxSamples, backend }
  statusHeartbeatMs how often the agent tells the control plane it is online (default 60000; 0 = never)
  backoff, fetch, telemetry, drift, shadow, resources, supervision, reportIntervalMs   tuning
`;

export async function runCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const config = await readConfigOption(args, io, RUN_USAGE);
  if (typeof config === 'number') return config;
  const logger = pino({ level: config.logLevel ?? process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const { logLevel: _logLevel, httpApi, ...rest } = config;
  const notify = createSdNotify({ logger });
  // The watchdog runs from the start: loading models and opening the store must not take a whole interval.
  notify.startWatchdog();
  let agent: Awaited<ReturnType<typeof createAgent>>;
  try {
    agent = await createAgent({
      ...rest,
      httpApi: httpApi ?? { ...DEFAULTS.cliHttpApi },
      logger,
      supervised: (process.env[SERVICE_ENV] ?? '') !== '',
    });
  } catch (error) {
    logger.fatal({ err: error, code: error instanceof AgentError ? error.code : undefined }, 'agent failed to start');
    notify.close();
    return 1;
  }
  const collected = collectStartupGarbage();
  if (collected.ran) logger.debug({ durationMs: collected.durationMs }, 'start-up garbage collected');
  notify.ready(`${agent.deviceId}: ${agent.connectionState}`);
  agent.events.on('state', (state) => notify.status(`${agent.deviceId}: ${state}`));
  const reason = await new Promise<'signal' | 'restart'>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      resolve('signal');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    agent.events.once('restart-requested', () => resolve('restart'));
  });
  if (reason !== 'signal') logger.info({ reason }, 'stopping');
  notify.stopping();
  await agent.close();
  notify.close();
  return reason === 'restart' ? RESTART_EXIT_CODE : 0;
}
