/**
 * Agent self-update, the agent's half; systemd and the start step (`select-release.sh`) are the other
 * half. An `agent`-line target (manifest `runtime: 'agent'`) is fetched and verified like a model, written
 * as a release and made current on trial in `releases/state`; the agent then exits 75 and systemd restarts
 * it into the release. On trial, the new agent must report `online` within `healthTimeoutMs`: then it
 * confirms itself; else it reverts itself and exits. Starts it never survives are counted by the start
 * step, which reverts on its own after too many. A confirmed release's start counter is reset once it has
 * stayed up `stableAfterMs` or stops cleanly, so a release that keeps crashing later is reverted too.
 *
 * What was decided comes back through the state's `outcome`: `settle()` turns it, once, into the install
 * events the control plane expects — `install-completed` when a trial passed, or `install-failed`
 * (AGENT_UNHEALTHY) + `install-reverted` from the restored agent, which also marks the release failed so
 * the still-retained desired document cannot stage it again in a loop. Which outcome was reported is kept
 * in `releases/reported.json`; a crash before it is written reports the outcome again (at-least-once).
 */
import { join } from 'node:path';
import { AGENT_RELEASE_LINE, encodeCbor } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ConnectionState } from '../connection/state.js';
import { AgentError } from '../errors.js';
import type { InstallEvent, InstallTarget } from '../install/installer.js';
import { readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';
import type { TrustState } from '../trust/trust-state.js';
import { nativeModuleDirs } from './native-modules.js';
import {
  BASE_RELEASE,
  createReleaseStore,
  type ReleaseOutcome,
  type ReleaseRef,
  type ReleaseState,
  type RevertReason,
  revertedState,
} from './release-store.js';

/** sysexits.h EX_TEMPFAIL: "restart me" (into a staged release, or back from a reverted one). */
export const RESTART_EXIT_CODE = 75;
/** Set by the systemd unit: the base install's directory. Without it there is no service to restart into. */
export const SERVICE_ENV = 'EDGEFLEET_SERVICE_BASE';

const reportedSchema = z.object({ at: z.int(), release: z.string() });

export interface SupervisionSettings {
  /** A release on trial must report online within this. */
  readonly healthTimeoutMs: number;
  /** A confirmed release that stays up this long has its start counter reset. */
  readonly stableAfterMs: number;
}

export interface SelfUpdate {
  /** The release this process runs once it is confirmed (`installed` in the reported state), else null. */
  running(): { line: string; version: number; digest: string; installedAt: number } | null;
  /** True when `target` is the release running or already staged (nothing to do). */
  isCurrent(target: InstallTarget): boolean;
  /** Refuses when this agent cannot restart into a release; waits while this process is itself on trial. */
  ready(): Promise<void>;
  /** Writes the verified bundle as a release and makes it current on trial; the caller then asks for a restart. */
  stage(target: InstallTarget, bundlePath: string): Promise<void>;
  /** At start-up: learns this process's phase, reports the last outcome once, arms the trial's deadline. */
  settle(): Promise<void>;
  /** Every connection change: `online` confirms a release on trial. */
  connectionChanged(state: ConnectionState): void;
  /** A clean stop: the start counter is reset (a stop is not a crash). */
  close(): Promise<void>;
}

function reasonText(reason: RevertReason | null, settings: SupervisionSettings): string {
  switch (reason) {
    case 'damaged':
      return 'release files are damaged';
    case 'trial-failed':
      return 'no healthy report in any of its trial starts';
    case 'crash-loop':
      return 'it kept crashing after it was confirmed';
    case 'health-timeout':
      return `no healthy report within ${settings.healthTimeoutMs} ms`;
    default:
      return 'reverted';
  }
}

export function createSelfUpdate(options: {
  stateDir: string;
  trust: TrustState;
  logger: Logger;
  onEvent: (event: InstallEvent) => void;
  /** Under the systemd service (the unit sets SERVICE_ENV); false for in-process and plain `run` agents. */
  supervised: boolean;
  settings: SupervisionSettings;
  now?: () => number;
  /** The trial passed and its outcome was reported (publish the reported state). */
  onConfirmed: () => void;
  /** The trial missed its deadline and was reverted: the process should exit so systemd restarts it. */
  onReverted: () => void;
}): SelfUpdate {
  const { logger, settings } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const store = createReleaseStore({ stateDir: options.stateDir });
  const reportedPath = join(store.root, 'reported.json');
  /** This process's release (null: base) and phase, known after settle(). */
  let mine: ReleaseRef | null = null;
  let phase: 'trial' | 'confirmed' = 'confirmed';
  let confirmedAt: number | null = null;
  let staged: { version: number; digest: string } | null = null;
  let confirming: Promise<void> | null = null;
  const timers = new Set<NodeJS.Timeout>();
  let resolveConfirmed: () => void = () => undefined;
  const confirmed = new Promise<void>((resolve) => {
    resolveConfirmed = resolve;
  });

  const at = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  async function report(outcome: ReleaseOutcome, state: ReleaseState): Promise<void> {
    const line = AGENT_RELEASE_LINE;
    if (outcome.result === 'confirmed') {
      if (mine !== null && outcome.release === mine.dir) {
        options.onEvent({ kind: 'install-completed', line, version: mine.version });
      }
      return;
    }
    const failed = await store.refOf(outcome.release);
    if (failed === null) {
      logger.warn({ outcome }, 'reverted agent release has no files left; its outcome is not reported');
      return;
    }
    await options.trust.markFailed(line, { version: failed.version, digest: failed.digest });
    const text = `agent release v${failed.version}: ${reasonText(outcome.reason, settings)}`;
    options.onEvent({
      kind: 'install-failed',
      line,
      version: failed.version,
      error: new AgentError('AGENT_UNHEALTHY', text),
    });
    if (state.current !== BASE_RELEASE && mine !== null) {
      options.onEvent({ kind: 'install-reverted', line, version: mine.version });
    }
  }

  async function reportOnce(state: ReleaseState): Promise<void> {
    const outcome = state.outcome;
    if (outcome === null) return;
    const done = reportedSchema.safeParse(await readJsonFile(reportedPath).catch(() => undefined));
    if (done.success && done.data.at === outcome.at && done.data.release === outcome.release) return;
    await report(outcome, state);
    await writeFileAtomic(reportedPath, JSON.stringify({ at: outcome.at, release: outcome.release }));
  }

  async function confirm(): Promise<void> {
    const state = await store.readState();
    const next: ReleaseState = {
      ...state,
      phase: 'confirmed',
      attempts: 0,
      starts: 0,
      outcome: { result: 'confirmed', release: state.current, reason: null, at: Math.floor(now() / 1000) },
    };
    await store.writeState(next);
    phase = 'confirmed';
    confirmedAt = now();
    logger.info({ release: mine }, 'agent release confirmed healthy');
    resolveConfirmed();
    await reportOnce(next);
    options.onConfirmed();
  }

  async function resetStarts(): Promise<void> {
    const state = await store.readState();
    if (state.phase === 'confirmed' && state.starts > 0) await store.writeState({ ...state, starts: 0 });
  }

  const self: SelfUpdate = {
    running() {
      if (mine === null || confirmedAt === null) return null;
      return { line: AGENT_RELEASE_LINE, version: mine.version, digest: mine.digest, installedAt: confirmedAt };
    },
    isCurrent(target) {
      const { version, digest } = target.manifest;
      const same = (r: { version: number; digest: string } | null) => r?.version === version && r.digest === digest;
      return same(mine) || same(staged);
    },
    async ready() {
      if (!options.supervised) {
        throw new AgentError(
          'RUNTIME_UNAVAILABLE',
          'agent self-update needs the systemd service (edgefleet-agent install-service)',
        );
      }
      await confirmed;
    },
    async stage(target, bundlePath) {
      const ref = await store.write({
        version: target.manifest.version,
        digest: target.manifest.digest,
        bundlePath,
        manifestCbor: encodeCbor(target.manifestDoc),
        nativeModules: await nativeModuleDirs(),
      });
      await store.stage(ref);
      staged = { version: ref.version, digest: ref.digest };
      logger.info({ release: ref }, 'agent release staged; restarting into it');
    },
    async settle() {
      if (!options.supervised) {
        resolveConfirmed();
        return;
      }
      const state = await store.readState().catch((error: unknown) => {
        logger.error({ err: error }, 'release state unreadable; running as the base release');
        return null;
      });
      if (state === null) {
        resolveConfirmed();
        return;
      }
      mine = state.current === BASE_RELEASE ? null : await store.refOf(state.current);
      phase = state.phase;
      if (phase === 'confirmed') {
        confirmedAt = startedAt;
        resolveConfirmed();
        if (state.starts > 0) at(settings.stableAfterMs, () => void resetStarts().catch(() => undefined));
      } else {
        logger.info({ release: mine, attempt: state.attempts }, 'agent release on trial');
        at(settings.healthTimeoutMs, () => {
          if (phase !== 'trial') return;
          logger.error({ release: mine, healthTimeoutMs: settings.healthTimeoutMs }, 'agent release reverted');
          store
            .readState()
            .then((s) => store.writeState(revertedState(s, 'health-timeout', Math.floor(now() / 1000))))
            .catch((error: unknown) => logger.error({ err: error }, 'writing the revert failed'))
            .finally(() => options.onReverted());
        });
      }
      await reportOnce(state);
      const removed = await store.gc();
      if (removed.length > 0) logger.info({ removed }, 'old agent releases collected');
    },
    connectionChanged(state) {
      if (state !== 'online' || phase !== 'trial' || confirming !== null) return;
      confirming = confirm().catch((error: unknown) => {
        confirming = null;
        logger.error({ err: error }, 'confirming the agent release failed');
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (options.supervised && phase === 'confirmed') await resetStarts().catch(() => undefined);
    },
  };
  return self;
}
