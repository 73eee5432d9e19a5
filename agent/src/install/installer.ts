/**
 * The installer (DESIGN.md §4 Install): fetch → verify → write slot → load → self-test → switch pointer →
 * activate. Installs run one at a time; targets that arrive meanwhile wait in a per-line map where a newer
 * desired document simply overwrites an older one, so the agent always reconciles to the latest target.
 * A failed install deletes its slot, keeps the previous model serving and is remembered (trust state) so
 * a re-delivered retained document does not retry it in a loop. A `role: 'shadow'` target walks
 * the same path but ends beside the champion (shadow-lifecycle.ts) instead of switching `current.json`.
 * Disk and memory are checked before a fetch (resource-gate.ts), and an agent release is staged
 * for a restart under systemd instead of loaded (self-update/).
 */
import { encodeCbor, errorCodeOf } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import type { FetchProgress } from '../fetch/fetcher.js';
import type { LoadedModel } from '../runtime/runtime.js';
import { runSelfTest } from '../runtime/self-test.js';
import { loadOptionsOf, readSelfTestSet } from './bundle-parts.js';
import { cleanUpFailedInstall } from './failure-cleanup.js';
import { type InstallPhase, isWorkingPhase, transitionInstall } from './install-state.js';
import type { Installer, InstallerOptions, InstallProgress, InstallTarget } from './installer-types.js';
import { reattestInstalled } from './reattest.js';
import { createShadowLifecycle } from './shadow-lifecycle.js';
import { MODEL_FILE, type SlotRef } from './slot-store.js';

export function createInstaller(options: InstallerOptions): Installer {
  const { logger } = options;
  /** One job per line and role: a newer desired document replaces what an older one queued. */
  const queue = new Map<string, { line: string; target: InstallTarget | null }>();
  /** The latest target per job key, so a deferred retry never resurrects a superseded one. */
  const latest = new Map<string, InstallTarget>();
  const keyOf = (target: InstallTarget) => (target.role === 'champion' ? target.line : `shadow:${target.line}`);
  const shadowLife = createShadowLifecycle(options);
  let phase: InstallPhase = 'idle';
  let progress: InstallProgress | null = null;
  let worker: Promise<void> | null = null;
  let closed = false;

  function setPhase(next: InstallPhase, target: InstallTarget, counts?: FetchProgress): void {
    phase = transitionInstall(phase, next);
    progress = isWorkingPhase(phase)
      ? {
          line: target.line,
          version: target.manifest.version,
          phase,
          chunksDone: counts?.chunksDone ?? progress?.chunksDone ?? 0,
          chunksTotal: counts?.chunksTotal ?? target.manifest.chunks.length,
        }
      : null;
    options.onProgress(progress);
  }

  function alreadyInstalled(target: InstallTarget): boolean {
    if (target.manifest.runtime === 'agent') return options.releases.isCurrent(target);
    const running = target.role === 'champion' ? options.service.active() : options.shadows.active();
    const active = running.find((a) => a.line === target.line);
    return active?.version === target.manifest.version && active.digest === target.manifest.digest;
  }

  /** Checks disk and memory, fetches and verifies the bundle; returns its part file. */
  async function fetchVerified(target: InstallTarget): Promise<string> {
    const { line, manifest } = target;
    await options.resources.check(manifest);
    setPhase('fetching', target, { chunksDone: 0, chunksTotal: manifest.chunks.length });
    const partPath = await options.fetcher.fetch(manifest, (counts) => {
      if (phase !== 'fetching') return;
      progress = { line, version: manifest.version, phase: 'fetching', ...counts };
      options.onProgress(progress);
    });
    setPhase('verifying', target);
    return partPath;
  }

  /** An agent release: staged for a restart; its trial after the restart is its self-test. */
  async function installRelease(target: InstallTarget): Promise<void> {
    const { line, manifest } = target;
    await options.releases.ready();
    const partPath = await fetchVerified(target);
    setPhase('installing', target);
    await options.releases.stage(target, partPath);
    await options.removePart(partPath);
    options.onEvent({ kind: 'install-verified', line, version: manifest.version });
    setPhase('self-testing', target);
    // The process restarts into the release: nothing more is installed by this one.
    closed = true;
    queue.clear();
    options.onRestart();
  }

  async function install(target: InstallTarget): Promise<void> {
    const { line, manifest } = target;
    const { version } = manifest;
    const context = { line, version, rolloutId: target.rolloutId };
    let slot: SlotRef | null = null;
    let model: LoadedModel | null = null;
    options.onEvent({ kind: 'install-started', line, version });
    try {
      if (manifest.runtime === 'agent') {
        await installRelease(target);
        return;
      }
      if (manifest.runtime !== options.runtime.name) {
        throw new AgentError('RUNTIME_UNAVAILABLE', `runtime ${manifest.runtime} is not available on this device`);
      }
      // Promotion of the running challenger: its slot was fetched and verified already, nothing is re-fetched.
      slot = target.role === 'champion' ? await shadowLife.promotable(target) : null;
      if (slot !== null) {
        setPhase('installing', target);
        // The challenger's manifest may carry a signature from before a key rotation.
        await options.slots.refreshManifest(line, slot, encodeCbor(target.manifestDoc));
      } else {
        const partPath = await fetchVerified(target);
        setPhase('installing', target);
        slot = await options.slots.writeSlot({
          line,
          version,
          digest: manifest.digest,
          bundlePath: partPath,
          manifestCbor: encodeCbor(target.manifestDoc),
        });
        await options.removePart(partPath);
      }
      setPhase('self-testing', target);
      const bundlePath = options.slots.pathOf(line, slot.dir, MODEL_FILE);
      const selfTestSet = await readSelfTestSet(bundlePath, manifest);
      model = await options.runtime.load(loadOptionsOf(bundlePath, manifest));
      const result = await runSelfTest(model, manifest, selfTestSet);
      if (!result.ok) {
        throw new AgentError('SELF_TEST_FAILED', `self-test vector ${result.vectorIndex}: ${result.reason}`, {
          details: { vectorIndex: result.vectorIndex, maxError: result.maxError },
        });
      }
      options.onEvent({ kind: 'install-verified', line, version });
      const entry = { version, digest: manifest.digest, manifest, model };
      if (target.role === 'shadow') {
        // Commit point of a challenger: shadow.json names the slot; current.json is never touched.
        const previous = await shadowLife.commit(line, slot, entry);
        model = null;
        setPhase('active', target);
        await shadowLife.settle(line, previous);
        logger.info({ ...context, maxError: result.maxError }, 'challenger running in shadow');
        options.onEvent({ kind: 'shadow-started', line, version });
        setPhase('idle', target);
        return;
      }
      // Commit point: only a slot that loaded and passed its self-test is ever named by current.json.
      await options.slots.switchTo(line, slot);
      const previous = options.service.activate(line, entry);
      model = null;
      setPhase('active', target);
      await settleAfterSwitch(line, previous);
      await shadowLife.afterPromotion(line, target);
      logger.info({ ...context, maxError: result.maxError }, 'model installed');
      options.onEvent({ kind: 'install-completed', line, version });
      setPhase('idle', target);
    } catch (cause) {
      if (closed) {
        // Shutdown aborted the install: not a verdict on the model, so nothing is marked failed.
        await model?.close().catch(() => undefined);
        return;
      }
      const error =
        cause instanceof AgentError ? cause : new AgentError(errorCodeOf(cause), (cause as Error).message, { cause });
      logger.error({ ...context, err: error, code: error.code }, 'install failed; staying on the current model');
      await model?.close().catch((e: unknown) => logger.warn({ ...context, err: e }, 'closing failed model'));
      await cleanUpFailedInstall(options, {
        target,
        slot,
        error,
        // Not a verdict on the bundle: retried later, and only if it is still the latest target.
        retry: () => {
          const newest = latest.get(keyOf(target));
          if (newest?.manifest.version !== version || newest.manifest.digest !== manifest.digest) return;
          put(keyOf(target), { line, target: newest });
          kick();
        },
      });
      setPhase('failed', target);
      options.onEvent({ kind: 'install-failed', line, version, error });
      // A failed challenger reverts nothing: the champion never stopped answering.
      const serving = target.role === 'shadow' ? undefined : options.service.active().find((a) => a.line === line);
      if (serving !== undefined) {
        setPhase('reverted', target);
        options.onEvent({ kind: 'install-reverted', line, version: serving.version });
      }
      setPhase('idle', target);
    }
  }

  /** After the commit point nothing may fail the install: retiring and cleanup are best effort. */
  async function settleAfterSwitch(line: string, previous: { retire(): Promise<void> } | undefined): Promise<void> {
    try {
      if (previous !== undefined) await previous.retire();
      await options.slots.gc(line);
    } catch (error) {
      logger.warn({ line, err: error }, 'cleanup after model switch failed');
    }
  }

  async function drain(): Promise<void> {
    while (!closed) {
      const next = queue.entries().next();
      if (next.done === true) return;
      const [key, { line, target }] = next.value;
      queue.delete(key);
      if (target === null) {
        await shadowLife.drop(line);
        continue;
      }
      if (alreadyInstalled(target)) {
        await reattestInstalled(options, target);
        continue;
      }
      if (options.trust.hasFailed(line, target.manifest, target.role)) continue;
      if (options.resources.isDeferred(target.manifest)) continue;
      await install(target);
    }
  }

  function put(key: string, job: { line: string; target: InstallTarget | null }): void {
    queue.delete(key); // re-inserted at the end: the queue runs in the order the latest document gave
    queue.set(key, job);
  }

  function kick(): void {
    if (worker !== null || closed) return;
    worker = drain()
      .catch((error: unknown) => logger.error({ err: error }, 'installer loop crashed'))
      .finally(() => {
        worker = null;
        if (queue.size > 0) kick();
      });
  }

  return {
    enqueue(targets) {
      const wanted = new Set<string>();
      for (const target of targets) {
        put(keyOf(target), { line: target.line, target });
        latest.set(keyOf(target), target);
        if (target.role === 'shadow') {
          wanted.add(target.line);
          // Set at once, installed or not: a re-delivered document after a restart skips the install.
          options.shadows.compareWith(target.line, target.compare);
        }
      }
      // Retire after the champion jobs, so a promotion still finds the challenger's slot to reuse.
      const queuedShadows = [...queue.values()].filter((j) => j.target?.role === 'shadow').map((j) => j.line);
      for (const line of new Set([...options.shadows.active().map((s) => s.line), ...queuedShadows])) {
        if (!wanted.has(line)) put(`shadow:${line}`, { line, target: null });
      }
      kick();
    },
    progress: () => progress,
    async idle() {
      while (worker !== null) await worker;
    },
    async close() {
      closed = true;
      queue.clear();
      options.resources.close();
      options.fetcher.abort();
      await worker;
    },
  };
}

export type { InstallEvent, Installer, InstallerOptions, InstallProgress, InstallTarget } from './installer-types.js';
