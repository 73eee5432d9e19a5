/**
 * The systemd unit of the device service. systemd supervises the agent itself — no second Node process:
 * - `Type=notify`: the agent says READY once started and pings `WatchdogSec=` (sd-notify.ts); a hung agent
 *   is killed (SIGABRT) and restarted;
 * - `ExecStartPre=` runs `select-release.sh` before every start: it counts starts, reverts a release whose
 *   trial or later runs keep failing, and points `releases/active` at the release to run;
 * - `Restart=on-failure` restarts a crashed agent and one that exits 75 to switch releases; no start-rate
 *   limit (`StartLimitIntervalSec=0`): a device agent must come back;
 * - `MemoryMax=` caps the agent and its models; the agent's install checks treat that cgroup limit as the
 *   memory it has. Logs are pino JSON lines on stdout, stored by journald as they are.
 */
import { DEFAULTS, type SupervisionTuning } from '../config.js';

export const UNIT_NAME = 'edgefleet-agent.service';

/** Where install-service puts things unless told otherwise. */
export const INSTALL_DEFAULTS = Object.freeze({
  prefix: '/opt/edgefleet-agent',
  unitDir: '/etc/systemd/system',
  configDir: '/etc/edgefleet',
  stateDir: '/var/lib/edgefleet-agent',
  memoryMax: '256M',
  nodePath: '/usr/bin/node',
});

export interface UnitOptions {
  /** The install prefix; the running base release is `<prefix>/current`. */
  readonly prefix: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly nodePath: string;
  /** systemd size, e.g. "256M". */
  readonly memoryMax: string;
  /** Run as this user (it must own stateDir); root when absent. */
  readonly user?: string | undefined;
  readonly supervision?: SupervisionTuning | undefined;
}

const quote = (path: string) => (/\s/.test(path) ? `"${path}"` : path);

export function installedUnit(options: UnitOptions): string {
  const s = options.supervision ?? DEFAULTS.supervision;
  const base = `${options.prefix}/current`;
  const config = `${options.configDir}/agent.json`;
  const entry = `${options.stateDir}/releases/active/agent.mjs`;
  const node = [quote(options.nodePath), ...s.nodeArgs].join(' ');
  return `# Written by \`edgefleet-agent install-service\`. systemd supervises the agent directly: the start step picks
# the release (base install or a self-update on trial) and reverts one that keeps failing.
[Unit]
Description=edgefleet device agent
After=network-online.target time-sync.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=all
WatchdogSec=${s.watchdogSec}
TimeoutStartSec=300
ExecStartPre=/bin/sh ${quote(`${base}/select-release.sh`)} ${quote(options.stateDir)} ${quote(base)} ${s.maxTrialStarts} ${s.maxCrashStarts}
ExecStart=${node} ${quote(entry)} run --config ${quote(config)}
Restart=on-failure
RestartSec=${s.restartSec}
TimeoutStopSec=30
KillMode=mixed
MemoryMax=${options.memoryMax}
Environment=NODE_ENV=production
Environment=${quote(`EDGEFLEET_SERVICE_BASE=${base}`)}
Environment=ORT_DISABLE_TELEMETRY=1
# Two malloc arenas instead of one per thread: less memory held by an idle agent.
Environment=MALLOC_ARENA_MAX=2
StandardOutput=journal
StandardError=journal
SyslogIdentifier=edgefleet-agent
${options.user === undefined ? '' : `User=${options.user}\n`}NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=yes
ReadWritePaths=${quote(options.stateDir)}

[Install]
WantedBy=multi-user.target
`;
}
