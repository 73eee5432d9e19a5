/**
 * The installer's shadow steps: committing a self-tested challenger beside the champion
 * (`shadow.json` first, then the runner, so a crash in between restarts with the shadow back), retiring a
 * challenger the desired state dropped (after its in-flight runs), and promotion — a champion assignment
 * naming the running challenger's version and digest reuses its verified slot instead of fetching again,
 * and the challenger stops shadowing once the champion answers with the same model. After the commit
 * point nothing here may fail an install: retiring and cleanup are best effort and logged.
 */
import type { Logger } from 'pino';
import type { ModelEntry } from '../inference/inference-service.js';
import type { ActiveShadow, ShadowRunner } from '../shadow/shadow-runner.js';
import type { InstallEvent, InstallTarget } from './installer.js';
import type { SlotRef, SlotStore } from './slot-store.js';

export interface ShadowLifecycle {
  /** The running challenger's slot when `target` (a champion) is that same version and digest, else null. */
  promotable(target: InstallTarget): Promise<SlotRef | null>;
  /** Names `slot` as the line's shadow and starts shadow runs on `entry`; returns the challenger replaced. */
  commit(line: string, slot: SlotRef, entry: ModelEntry): Promise<ActiveShadow | undefined>;
  /** Retires a replaced challenger and removes slots no pointer names. */
  settle(line: string, previous: ActiveShadow | undefined): Promise<void>;
  /** After a champion install: a challenger now answering as champion stops shadowing. */
  afterPromotion(line: string, target: InstallTarget): Promise<void>;
  /** Retires the line's challenger, forgets its pointer and removes its slot. */
  drop(line: string): Promise<void>;
}

export function createShadowLifecycle(options: {
  readonly slots: SlotStore;
  readonly shadows: ShadowRunner;
  readonly logger: Logger;
  readonly onEvent: (event: InstallEvent) => void;
}): ShadowLifecycle {
  const { slots, shadows, logger } = options;

  const runningAs = (target: InstallTarget) => {
    const running = shadows.active().find((s) => s.line === target.line);
    return running?.version === target.manifest.version && running.digest === target.manifest.digest;
  };

  async function retire(line: string, handle: ActiveShadow | undefined): Promise<void> {
    if (handle === undefined) return;
    await handle.retire();
    logger.info({ line, version: handle.version }, 'challenger retired');
    options.onEvent({ kind: 'shadow-retired', line, version: handle.version });
  }

  async function drop(line: string): Promise<void> {
    try {
      const handle = shadows.detach(line);
      if ((await slots.shadow(line)) !== undefined) await slots.setShadow(line, null);
      await retire(line, handle);
      await slots.gc(line);
    } catch (error) {
      logger.warn({ line, err: error }, 'retiring the shadow challenger failed');
    }
  }

  return {
    async promotable(target) {
      if (!runningAs(target)) return null;
      const ref = await slots.shadow(target.line);
      return ref?.version === target.manifest.version && ref.digest === target.manifest.digest ? ref : null;
    },
    async commit(line, slot, entry) {
      await slots.setShadow(line, slot);
      return shadows.activate(line, entry);
    },
    async settle(line, previous) {
      try {
        await retire(line, previous);
        await slots.gc(line);
      } catch (error) {
        logger.warn({ line, err: error }, 'cleanup after a challenger switch failed');
      }
    },
    async afterPromotion(line, target) {
      if (runningAs(target)) await drop(line);
    },
    drop,
  };
}
