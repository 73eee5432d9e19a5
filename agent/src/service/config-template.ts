/**
 * The config file install-service writes: every tuning group spelled out with its default, so
 * an operator sees what can be changed, plus `agent.json.md` beside it saying what each group means (JSON
 * has no comments). The file is validated with the agent's own schema before it is written.
 */
import { DEFAULTS } from '../config.js';
import { type ConfigFile, parseConfig } from '../config-file.js';

export function defaultConfig(options: {
  stateDir: string;
  rootPublicKeys: readonly string[];
  controlPlaneUrl?: string | undefined;
  enrolmentToken?: string | undefined;
}): ConfigFile {
  const config = {
    stateDir: options.stateDir,
    rootPublicKeys: [...options.rootPublicKeys],
    ...(options.controlPlaneUrl === undefined ? {} : { controlPlaneUrl: options.controlPlaneUrl }),
    ...(options.enrolmentToken === undefined ? {} : { enrolmentToken: options.enrolmentToken }),
    httpApi: { ...DEFAULTS.cliHttpApi },
    logLevel: 'info',
    backoff: { ...DEFAULTS.backoff },
    fetch: { ...DEFAULTS.fetch },
    telemetry: { ...DEFAULTS.telemetry },
    drift: {
      ...DEFAULTS.drift,
      adwin: { ...DEFAULTS.drift.adwin },
      pageHinkley: { ...DEFAULTS.drift.pageHinkley },
    },
    shadow: { ...DEFAULTS.shadow },
    resources: { ...DEFAULTS.resources },
    supervision: { ...DEFAULTS.supervision, nodeArgs: [...DEFAULTS.supervision.nodeArgs] },
    statusHeartbeatMs: DEFAULTS.statusHeartbeatMs,
    reportIntervalMs: DEFAULTS.reportIntervalMs,
  };
  return parseConfig(config, '/');
}

export const CONFIG_DOC = `# agent.json — edgefleet agent configuration

Written by \`edgefleet-agent install-service\` with every default spelled out; delete a field to take the
default of the installed version. \`edgefleet-agent doctor --config agent.json\` checks what the agent sees.

| field | meaning |
|---|---|
| stateDir | credentials (0600), trust state, model slots, agent releases, downloads, telemetry outbox |
| rootPublicKeys | pinned root public key(s), hex — the only trust anchor a device needs |
| controlPlaneUrl, enrolmentToken | first start (enrolment) only; controlPlaneUrl also serves doctor's clock check |
| httpApi | local inference API { host, port, maxBodyBytes, token, allowedHosts } (127.0.0.1 only by default; a token is required beyond loopback), or false |
| logLevel | JSON log lines on stdout → journald |
| backoff | reconnect backoff with full jitter: initialMs, maxMs |
| fetch | windowChunks per request, chunkTimeoutMs, maxChunkRetries, maxStalledWindows |
| telemetry | windowMs of inference windows; batchSize and flushIntervalMs of publishing; outbox bounds maxQueueRows and maxQueueBytes (oldest dropped, counted) |
| drift, shadow | on-device drift windows and detectors; shadow-run windows and backlog |
| resources | diskReserveBytes and memoryReserveBytes kept free by installs; retryAfterMs before a refused install is retried |
| supervision | healthTimeoutMs for an agent release on trial to report online; stableAfterMs of uptime before a confirmed release's start counter resets; for the unit (run install-service again after a change): watchdogSec, maxTrialStarts and maxCrashStarts of the start step, restartSec, nodeArgs |
| statusHeartbeatMs | how often the agent tells the control plane it is online (MQTT \`status\`; 0 = never); with an external broker, three missed ones mark it offline |
| reportIntervalMs | throttle of the retained reported state during downloads |
`;
