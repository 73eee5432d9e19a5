/**
 * Agent self-update, the agent's half. An `agent`-line target (manifest `runtime: 'agent'`) is
 * fetched and verified like a model, then written as a release and staged; the agent asks to be restarted
 * and the launcher runs the release on trial. What the launcher decided comes back through the release
 * pointer's `lastOutcome`: `settle()` turns it, once, into the install events the control plane expects —
 * `install-completed` from the new agent when its trial passed, or `install-failed` (AGENT_UNHEALTHY) +
 * `install-reverted` from the restored agent, which also marks the release failed so the still-retained
 * desired document cannot stage it again in a loop. Which outcome was reported is kept in
 * `releases/reported.json`; a crash before it is written reports the outcome again (at-least-once, like the
 * outbox).
 */
import { join } from 'node:path';
import { AGENT_RELEASE_LINE, encodeCbor } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import type { InstallEvent, InstallTarget } from '../install/installer.js';
import { readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';
import type { TrustState } from '../trust/trust-state.js';
import { nativeModuleDirs } from './native-modules.js';
import { createReleaseStore, type ReleaseOutcome } from './release-store.js';
import { connectSupervisor, type HealthMessage } from './supervisor-link.js';

const reportedSchema = z.object({ at: z.int(), version: z.int() });

export interface SelfUpdate {
  /** The release this process runs once it is confirmed (`installed` in the reported state), else null. */
  running(): { line: string; version: number; digest: string; installedAt: number } | null;
  /** True when `target` is the release running or already staged (nothing to do). */
  isCurrent(target: InstallTarget): boolean;
  /** Refuses when this agent cannot restart into a release; waits while this process is itself on trial. */
  ready(): Promise<void>;
  /** Writes the verified bundle as a release and stages it; the caller then asks for a restart. */
  stage(target: InstallTarget, bundlePath: string): Promise<void>;
  /** Reports the launcher's last decision once (at start-up, and when a trial is confirmed). */
  settle(): Promise<void>;
  /** Sends a health report to the launcher now (on every connection change). */
  reportHealth(): void;
  close(): void;
}

export function createSelfUpdate(options: {
  stateDir: string;
  trust: TrustState;
  logger: Logger;
  onEvent: (event: InstallEvent) => void;
  startedAt: number;
  heartbeatMs: number;
  health: () => Omit<HealthMessage, 'type'>;
  /** The trial passed and its outcome was reported (publish the reported state). */
  onConfirmed: () => void;
}): SelfUpdate {
  const { logger } = options;
  const link = connectSupervisor({ heartbeatMs: options.heartbeatMs, health: options.health });
  const store = createReleaseStore({ stateDir: options.stateDir });
  const reportedPath = join(store.root, 'reported.json');
  let staged: { version: number; digest: string } | null = null;
  let confirmedAt: number | null = link?.phase === 'confirmed' ? options.startedAt : null;

  async function report(outcome: ReleaseOutcome): Promise<void> {
    const line = AGENT_RELEASE_LINE;
    const { version } = outcome;
    if (outcome.result === 'confirmed') {
      if (link?.release?.version !== version || link.release.digest !== outcome.digest) return;
      options.onEvent({ kind: 'install-completed', line, version });
      return;
    }
    await options.trust.markFailed(line, { version, digest: outcome.digest });
    const error = new AgentError('AGENT_UNHEALTHY', `agent release v${version}: ${outcome.reason ?? 'reverted'}`);
    options.onEvent({ kind: 'install-failed', line, version, error });
    if (link?.release) options.onEvent({ kind: 'install-reverted', line, version: link.release.version });
  }

  const self: SelfUpdate = {
    running() {
      const release = link?.release;
      if (release === null || release === undefined || confirmedAt === null) return null;
      return { line: AGENT_RELEASE_LINE, version: release.version, digest: release.digest, installedAt: confirmedAt };
    },
    isCurrent(target) {
      const { version, digest } = target.manifest;
      const same = (r: { version: number; digest: string } | null | undefined) =>
        r?.version === version && r.digest === digest;
      return same(link?.release) || same(staged);
    },
    async ready() {
      if (link === null) {
        throw new AgentError('RUNTIME_UNAVAILABLE', 'agent self-update needs the launcher (edgefleet-agent launch)');
      }
      await link.confirmed();
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
      // The launcher replaces an unreadable pointer before it starts an agent; until then, nothing to report.
      const pointer = await store.readPointer().catch((error: unknown) => {
        logger.error({ err: error }, 'release pointer unreadable');
        return null;
      });
      if (pointer === null) return;
      if (link?.phase === 'confirmed') confirmedAt ??= options.startedAt;
      const outcome = pointer.lastOutcome;
      if (outcome !== null) {
        const done = reportedSchema.safeParse(await readJsonFile(reportedPath).catch(() => undefined));
        if (!done.success || done.data.at !== outcome.at || done.data.version !== outcome.version) {
          await report(outcome);
          await writeFileAtomic(reportedPath, JSON.stringify({ at: outcome.at, version: outcome.version }));
        }
      }
      const removed = await store.gc();
      if (removed.length > 0) logger.info({ removed }, 'old agent releases collected');
    },
    reportHealth: () => link?.report(options.health()),
    close: () => link?.close(),
  };
  if (link?.phase === 'trial') {
    link
      .confirmed()
      .then(() => self.settle())
      .then(options.onConfirmed)
      .catch((error: unknown) => logger.error({ err: error }, 'reporting the confirmed agent release failed'));
  }
  return self;
}
