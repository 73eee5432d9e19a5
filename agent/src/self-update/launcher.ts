/**
 * The launcher: the small, stable process systemd starts. It never changes through self-update,
 * so it can always bring a working agent back. Each round it reads the release pointer, promotes a staged
 * release to a `trial`, starts the agent (the pointer's release, or the base agent the service was
 * installed with) as a child with an IPC channel, and supervises it:
 * - trial: the child must report `connection: online` within `healthTimeoutMs` — a new agent that cannot
 *   reach the control plane could never be fixed remotely. Healthy → `confirmed` (and the child is told);
 *   exit or timeout → killed and reverted to the previous release. Attempts are counted in the pointer
 *   before each start, so power cuts during trials end in a revert after `maxTrialAttempts`, never a loop
 *   (Mender's commit/rollback rule).
 * - running: heartbeats are the watchdog (none for `watchdogMs` → SIGKILL and restart); a crashed child is
 *   restarted with exponential delays; exit code 75 (EX_TEMPFAIL) means "a release is staged, restart
 *   into it now".
 * Release files are re-hashed before every start: a damaged release is reverted like a failed trial.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import type { ReleasePointer, ReleaseRef, ReleaseStore } from './release-store.js';
import { sameRelease } from './release-store.js';
import { healthMessageSchema, RELEASE_ENV, RESTART_EXIT_CODE } from './supervisor-link.js';

export interface LauncherSettings {
  readonly healthTimeoutMs: number;
  readonly watchdogMs: number;
  readonly maxTrialAttempts: number;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  /** Grace for a stopping child before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Node options for the agent process (V8 heap sizing for a small device, see DEFAULTS.launcher). */
  readonly nodeArgs: readonly string[];
}

export type LauncherState = 'idle' | 'trial' | 'running' | 'restarting' | 'stopping';

const ALLOWED: Readonly<Record<LauncherState, readonly LauncherState[]>> = Object.freeze({
  idle: ['trial', 'running', 'stopping'],
  trial: ['running', 'restarting', 'stopping'],
  running: ['restarting', 'stopping'],
  restarting: ['idle', 'stopping'],
  stopping: [],
});

export function transitionLauncher(from: LauncherState, to: LauncherState): LauncherState {
  if (!ALLOWED[from].includes(to)) {
    throw new AgentError('INVALID_TRANSITION', `launcher cannot go from ${from} to ${to}`, { details: { from, to } });
  }
  return to;
}

export interface Launcher {
  /** Supervises agents until `stop()`; resolves with the launcher's exit code. */
  run(): Promise<number>;
  stop(): void;
  readonly state: LauncherState;
}

type Verdict = { kind: 'healthy' } | { kind: 'exited'; code: number | null } | { kind: 'timeout' | 'stopping' };

export function createLauncher(options: {
  store: ReleaseStore;
  /** The base agent's entry file (run with `node`); what `current: null` means. */
  baseEntry: string;
  agentArgs: readonly string[];
  settings: LauncherSettings;
  logger: Logger;
  now?: () => number;
}): Launcher {
  const { store, settings, logger } = options;
  const now = options.now ?? Date.now;
  let state: LauncherState = 'idle';
  let child: ChildProcess | null = null;
  /** Waiters woken by stop(): each removes itself when it settles, so restarts accumulate nothing. */
  const stopWaiters = new Set<() => void>();

  // A function, not an inline comparison: stop() changes the state while a round awaits.
  const isStopping = () => state === 'stopping';
  const move = (to: LauncherState) => {
    // stop() may land while a round awaits; stopping is terminal and wins over the round's own move.
    if (state !== 'stopping') state = transitionLauncher(state, to);
  };

  function revert(pointer: ReleasePointer, reason: string): ReleasePointer {
    const failed = pointer.current;
    logger.error({ release: failed, revertTo: pointer.previous, reason }, 'agent release reverted');
    return {
      current: pointer.previous,
      previous: null,
      phase: 'confirmed',
      trialAttempts: 0,
      lastOutcome: failed === null ? pointer.lastOutcome : { ...pick(failed), result: 'reverted', reason, at: now() },
    };
  }

  /** Promotes a staged release, drops damaged ones, counts a trial attempt; returns the pointer to run. */
  async function prepare(): Promise<ReleasePointer> {
    let pointer = await store.readPointer().catch((error: unknown) => {
      logger.error({ err: error }, 'release pointer unreadable; starting the base agent');
      return null;
    });
    // An unreadable pointer (a damaged SD card) is replaced, so the agent reads the same state.
    const before = pointer === null ? '' : JSON.stringify(pointer);
    pointer ??= { current: null, previous: null, phase: 'confirmed', trialAttempts: 0, lastOutcome: null };
    const staged = await store.readStaged();
    if (staged !== null && !sameRelease(staged, pointer.current)) {
      if (await store.isIntact(staged)) {
        pointer = { ...pointer, current: staged, previous: pointer.current, phase: 'trial', trialAttempts: 0 };
        logger.info({ release: staged }, 'agent release staged; starting its trial');
      } else {
        logger.error({ release: staged }, 'staged agent release is damaged; ignored');
      }
    }
    // Only after the pointer names it: a power cut in between finds the same staged release again.
    if (JSON.stringify(pointer) !== before) await store.writePointer(pointer);
    if (staged !== null) await store.clearStaged();
    while (pointer.current !== null && !(await store.isIntact(pointer.current))) {
      pointer = revert(pointer, 'release files are damaged');
      await store.writePointer(pointer);
    }
    if (pointer.phase === 'trial') {
      pointer =
        pointer.trialAttempts >= settings.maxTrialAttempts
          ? revert(pointer, `no healthy report in ${pointer.trialAttempts} attempts`)
          : { ...pointer, trialAttempts: pointer.trialAttempts + 1 };
      await store.writePointer(pointer);
    }
    return pointer;
  }

  function start(ref: ReleaseRef | null, phase: ReleasePointer['phase']): ChildProcess {
    const entry = ref === null ? options.baseEntry : store.entryOf(ref);
    logger.info({ release: ref, phase }, 'starting agent');
    return spawn(process.execPath, [...settings.nodeArgs, entry, ...options.agentArgs], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [RELEASE_ENV]: JSON.stringify({ release: ref, phase }) },
    });
  }

  /** Resolves on the first of: a healthy report (trial only), exit, timeout, stop; heartbeats feed `beat`. */
  function watch(proc: ChildProcess, mode: 'trial' | 'running'): Promise<Verdict> {
    return new Promise<Verdict>((resolve) => {
      const limitMs = mode === 'trial' ? settings.healthTimeoutMs : settings.watchdogMs;
      let timer = setTimeout(() => finish({ kind: 'timeout' }), limitMs);
      const onMessage = (message: unknown) => {
        const health = healthMessageSchema.safeParse(message);
        if (!health.success) return;
        if (mode === 'trial' && health.data.connection === 'online') finish({ kind: 'healthy' });
        else if (mode === 'running') {
          clearTimeout(timer);
          timer = setTimeout(() => finish({ kind: 'timeout' }), limitMs);
        }
      };
      const onExit = (code: number | null) => finish({ kind: 'exited', code });
      const onStop = () => finish({ kind: 'stopping' });
      function finish(verdict: Verdict) {
        clearTimeout(timer);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        stopWaiters.delete(onStop);
        resolve(verdict);
      }
      proc.on('message', onMessage);
      proc.once('exit', onExit);
      stopWaiters.add(onStop);
      if (proc.exitCode !== null || proc.signalCode !== null) finish({ kind: 'exited', code: proc.exitCode });
    });
  }

  /** Sleeps `ms`, or less when stop() comes first. */
  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopWaiters.add(done);
    });
  }

  async function kill(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    if (signal === 'SIGKILL') return exited;
    const timer = setTimeout(() => proc.kill('SIGKILL'), settings.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** One start of an agent; says how soon the next one may follow. */
  async function round(): Promise<'now' | 'crashed' | 'crashed-after-long-run'> {
    const pointer = await prepare();
    if (isStopping()) return 'now';
    const startedAt = now();
    const proc = start(pointer.current, pointer.phase);
    child = proc;
    if (pointer.phase === 'trial') {
      move('trial');
      const verdict = await watch(proc, 'trial');
      if (verdict.kind === 'stopping') return 'now';
      if (verdict.kind !== 'healthy') {
        await kill(proc, 'SIGKILL');
        const reason =
          verdict.kind === 'exited'
            ? `exited with code ${verdict.code} during its trial`
            : `no healthy report within ${settings.healthTimeoutMs} ms`;
        await store.writePointer(revert(pointer, reason));
        move('restarting');
        return 'now';
      }
      const current = pointer.current as ReleaseRef;
      await store.writePointer({
        ...pointer,
        phase: 'confirmed',
        trialAttempts: 0,
        lastOutcome: { ...pick(current), result: 'confirmed', reason: null, at: now() },
      });
      logger.info({ release: current }, 'agent release confirmed healthy');
      if (proc.connected) proc.send({ type: 'release-confirmed' });
    }
    move('running');
    const verdict = await watch(proc, 'running');
    if (verdict.kind === 'stopping') return 'now';
    if (verdict.kind === 'timeout') {
      logger.error({ watchdogMs: settings.watchdogMs }, 'agent sent no heartbeat; killing it');
      await kill(proc, 'SIGKILL');
    }
    move('restarting');
    if (verdict.kind === 'exited' && verdict.code === RESTART_EXIT_CODE) return 'now';
    logger.warn({ verdict }, 'agent stopped; restarting');
    return now() - startedAt > settings.maxRestartDelayMs ? 'crashed-after-long-run' : 'crashed';
  }

  return {
    get state() {
      return state;
    },
    async run() {
      let delayMs = 0;
      while (state !== 'stopping') {
        if (delayMs > 0) await pause(delayMs);
        if (isStopping()) break;
        if (state === 'restarting') move('idle');
        const next = await round();
        // Crash loops back off exponentially; a child that ran a while was healthy and starts the delays over.
        if (next === 'now') delayMs = 0;
        else if (next === 'crashed-after-long-run' || delayMs === 0) delayMs = settings.restartDelayMs;
        else delayMs = Math.min(delayMs * 2, settings.maxRestartDelayMs);
      }
      if (child !== null) await kill(child, 'SIGTERM');
      logger.info('launcher stopped');
      return 0;
    },
    stop() {
      if (state === 'stopping') return;
      move('stopping');
      for (const wake of [...stopWaiters]) wake();
    },
  };
}

function pick(ref: ReleaseRef): { version: number; digest: string } {
  return { version: ref.version, digest: ref.digest };
}
