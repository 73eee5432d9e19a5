/**
 * The agent's side of the launcher. The launcher starts the agent with an IPC channel and the
 * env var `EDGEFLEET_AGENT_RELEASE` (`{ release, phase }`: which release this process is and whether it is
 * on trial). The agent sends `health` messages — at once, on every connection change, and every
 * `heartbeatMs` as the watchdog's heartbeat — and hears `release-confirmed` when its trial passed. IPC
 * rather than a health file: no writes to the SD card every few seconds, and no doubt about which
 * process a report came from. Without a launcher (in-process agents, a plain `edgefleet-agent` run)
 * there is no link and agent self-update is refused.
 */
import { z } from 'zod';
import { type ReleaseRef, releaseRefSchema } from './release-store.js';

export const RELEASE_ENV = 'EDGEFLEET_AGENT_RELEASE';
/** sysexits.h EX_TEMPFAIL: "a release is staged, restart me into it". */
export const RESTART_EXIT_CODE = 75;

export const healthMessageSchema = z.object({
  type: z.literal('health'),
  connection: z.enum(['offline', 'connecting', 'online', 'backing-off']),
  models: z.int().nonnegative(),
});
export type HealthMessage = z.infer<typeof healthMessageSchema>;

const releaseEnvSchema = z.object({ release: releaseRefSchema.nullable(), phase: z.enum(['trial', 'confirmed']) });
const confirmedSchema = z.object({ type: z.literal('release-confirmed') });

export interface SupervisorLink {
  /** The release this process runs (null: the base agent) and its phase when it started. */
  readonly release: ReleaseRef | null;
  readonly phase: 'trial' | 'confirmed';
  report(health: Omit<HealthMessage, 'type'>): void;
  /** Resolves once the release is confirmed (at once unless this process is on trial). */
  confirmed(): Promise<void>;
  /** Called when the launcher goes away (it died or is stopping): the agent should stop too. */
  onLost(fn: () => void): void;
  close(): void;
}

/** The link to the launcher, or null when this process was not started by one. */
export function connectSupervisor(options: {
  heartbeatMs: number;
  health: () => Omit<HealthMessage, 'type'>;
}): SupervisorLink | null {
  const send = process.send?.bind(process);
  const raw = process.env[RELEASE_ENV];
  if (send === undefined || raw === undefined) return null;
  const env = releaseEnvSchema.parse(JSON.parse(raw));
  let phase = env.phase;
  let resolveConfirmed: (() => void) | null = null;
  const confirmed =
    phase === 'confirmed'
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          resolveConfirmed = resolve;
        });
  const report = (health: Omit<HealthMessage, 'type'>) => {
    if (process.connected) send({ type: 'health', ...health } satisfies HealthMessage);
  };
  const onMessage = (message: unknown) => {
    if (!confirmedSchema.safeParse(message).success) return;
    phase = 'confirmed';
    resolveConfirmed?.();
  };
  process.on('message', onMessage);
  const heartbeat = setInterval(() => report(options.health()), options.heartbeatMs);
  // The channel must not keep a stopping agent alive.
  process.channel?.unref();
  return {
    release: env.release,
    get phase() {
      return phase;
    },
    report,
    confirmed: () => confirmed,
    onLost(fn) {
      process.once('disconnect', fn);
    },
    close() {
      clearInterval(heartbeat);
      process.off('message', onMessage);
    },
  };
}
