/**
 * The systemd unit of the device service. systemd starts the launcher, never the agent
 * directly: the launcher survives a broken agent release and reverts it. Watchdog: the launcher watches the
 * agent's IPC heartbeats (launcher.ts) rather than systemd's `WatchdogSec=` — sd_notify needs an AF_UNIX
 * datagram socket, which Node cannot open without a native addon, and `systemd-notify` as a child process
 * is attributed unreliably to the service once it has exited (systemd.exec(5), NotifyAccess=). systemd
 * restarts the launcher itself (`Restart=always`, no start-rate limit: a device agent must come back);
 * `MemoryMax=` caps launcher + agent + models, and the agent's install checks treat that cgroup limit as
 * the memory it has. Logs are pino JSON lines on stdout, stored by journald as they are.
 */

export interface UnitOptions {
  readonly nodePath: string;
  readonly launcherPath: string;
  readonly baseEntry: string;
  readonly configPath: string;
  readonly stateDir: string;
  /** Run as this user (it must own stateDir); root when absent. */
  readonly user?: string | undefined;
  /** systemd size, e.g. "256M". */
  readonly memoryMax: string;
}

export const UNIT_NAME = 'edgefleet-agent.service';

export function systemdUnit(options: UnitOptions): string {
  const quote = (path: string) => (/\s/.test(path) ? `"${path}"` : path);
  return `# Written by \`edgefleet-agent install-service\`. systemd starts the launcher, which runs the agent (the
# base build below or a self-updated release under the state dir), watches its heartbeats and reverts a
# release that does not come up healthy.
[Unit]
Description=edgefleet device agent
After=network-online.target time-sync.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=${quote(options.nodePath)} ${quote(options.launcherPath)} --config ${quote(options.configPath)} --base ${quote(options.baseEntry)}
Restart=always
RestartSec=5s
TimeoutStopSec=30s
KillMode=control-group
MemoryMax=${options.memoryMax}
Environment=NODE_ENV=production
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
