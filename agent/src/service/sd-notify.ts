/**
 * sd_notify for the agent under systemd (`Type=notify`, `WatchdogSec=`): READY once started, WATCHDOG
 * pings at half the watchdog interval, STATUS lines for `systemctl status`, STOPPING on shutdown. Node has
 * no AF_UNIX datagram sockets, so each message goes through `systemd-notify` (part of systemd, so present
 * wherever the unit runs). systemd-notify sends with its parent's credentials — the agent, the unit's main
 * process — when it may (root); the unit also sets `NotifyAccess=all` so a message is accepted from any
 * process of the service. Without `NOTIFY_SOCKET` (not under systemd) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

export interface SdNotify {
  /** True when the service manager listens. */
  readonly enabled: boolean;
  ready(status: string): void;
  status(status: string): void;
  stopping(): void;
  /** Starts the watchdog pings (when `WATCHDOG_USEC` is set for this process). */
  startWatchdog(): void;
  close(): void;
}

export function createSdNotify(options: {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** The notifier command (tests point it elsewhere). */
  command?: string;
}): SdNotify {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const command = options.command ?? 'systemd-notify';
  const watchdogUsec = Number(env.WATCHDOG_USEC ?? 0);
  // WATCHDOG_PID names the process the watchdog is meant for; another process (a child) must not ping.
  const watchdogForUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  let timer: NodeJS.Timeout | null = null;
  let failedOnce = false;

  function send(...assignments: string[]): void {
    if (socket === undefined || socket === '') return;
    execFile(command, ['--no-block', ...assignments], { env: { ...env, NOTIFY_SOCKET: socket } }, (error) => {
      if (error === null || failedOnce) return;
      failedOnce = true;
      options.logger.error({ err: error, command }, 'sd_notify failed; systemd may restart the agent');
    });
  }

  return {
    enabled: socket !== undefined && socket !== '',
    ready: (status) => send('READY=1', `STATUS=${status}`),
    status: (status) => send(`STATUS=${status}`),
    stopping: () => send('STOPPING=1'),
    startWatchdog() {
      if (timer !== null || !(watchdogUsec > 0) || !watchdogForUs) return;
      const everyMs = Math.max(100, Math.floor(watchdogUsec / 2000));
      send('WATCHDOG=1');
      timer = setInterval(() => send('WATCHDOG=1'), everyMs);
      timer.unref();
    },
    close() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
