/**
 * Shadow runs (DESIGN.md §5): per model line, at most one challenger model runs beside the
 * champion. After every successful champion call the challenger runs on the same input tensors — scheduled
 * with setImmediate, i.e. after the caller's promise has resolved, so the champion's answer is never
 * delayed or altered — and its answer on the compared output is held against the champion's, per sample,
 * as the desired state's comparison says (protocol `agreeingRows`: argmax agreement, or every element
 * within a tolerance); without one, the first output by argmax. The backlog per line is bounded
 * (`maxQueuedPerLine`): beyond it a call is skipped and counted, so a slow challenger can never grow memory
 * or starve the champion. Challenger failures are counted, never thrown. A challenger is retired like a
 * champion: no new runs, then its model closes once its in-flight runs end.
 */
import { performance } from 'node:perf_hooks';
import {
  agreeingRows,
  type Clock,
  comparedOutput,
  DEFAULT_COMPARISON,
  type OutputComparison,
  type Tensor,
  type TensorMap,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { ShadowOptions } from '../config.js';
import { AgentError } from '../errors.js';
import type { ModelEntry, ServedResult } from '../inference/inference-service.js';
import { createShadowWindows, type ShadowOutcome, type ShadowRecord } from './shadow-windows.js';

export interface ActiveShadow {
  readonly line: string;
  readonly version: number;
  readonly digest: string;
  /** Stops new shadow runs, waits for the queued and running ones, then closes the model. Idempotent. */
  retire(): Promise<void>;
}

export interface ShadowStats {
  /** Challenger runs finished (successful or not). */
  readonly runs: number;
  /** Champion calls not shadowed because the line's backlog was full. */
  readonly skipped: number;
  /** Challenger runs that threw or returned a tensor of the wrong size. */
  readonly errors: number;
}

export interface ShadowRunner {
  /** Makes `entry` the challenger of `line`; returns the one it replaced so the caller can `retire()` it. */
  activate(line: string, entry: ModelEntry): ActiveShadow | undefined;
  /**
   * How the challenger of `line` is compared (the desired state's `compare`); undefined restores the default,
   * the first output by argmax. Kept apart from the challenger, so it holds across a restart's re-activation.
   */
  compareWith(line: string, comparison: OutputComparison | undefined): void;
  /** Removes the challenger of `line` (no new runs); the caller retires it. */
  detach(line: string): ActiveShadow | undefined;
  active(): Array<{ line: string; version: number; digest: string }>;
  /** The inference service's `onServed` hook. */
  observe(result: ServedResult): void;
  stats(): ShadowStats;
  /** Closes the open shadow windows now. */
  flush(): void;
  /** Flushes, retires every challenger. */
  close(): Promise<void>;
}

/** The champion's output the challenger is compared on (a copy), and how. */
interface ComparedOutput {
  readonly name: string;
  readonly tensor: Tensor;
  readonly comparison: OutputComparison;
}

/** What a shadow run needs of the champion's call (not its buffers: those are copied). */
interface ChampionCall {
  readonly line: string;
  readonly version: number;
  readonly latencyMs: number;
}

interface LineShadow {
  readonly handle: ActiveShadow;
  readonly entry: ModelEntry;
  /** Shadow runs queued or running on this challenger. */
  pending: number;
  idleWaiters: Array<() => void>;
  retired: Promise<void> | undefined;
  /** The first failure of this challenger is logged at warn, the rest at debug (they are counted). */
  warned: boolean;
}

export function createShadowRunner(options: {
  clock: Clock;
  logger: Logger;
  settings: ShadowOptions;
  onWindow: (record: ShadowRecord) => void;
}): ShadowRunner {
  const { logger, settings } = options;
  const lines = new Map<string, LineShadow>();
  const comparisons = new Map<string, OutputComparison>();
  const windows = createShadowWindows({
    clock: options.clock,
    windowMs: settings.windowMs,
    logger,
    onWindow: options.onWindow,
  });
  let runs = 0;
  let skipped = 0;
  let errors = 0;

  function release(s: LineShadow): void {
    s.pending -= 1;
    if (s.pending === 0) for (const resolve of s.idleWaiters.splice(0)) resolve();
  }

  function makeShadow(line: string, entry: ModelEntry): LineShadow {
    const s: LineShadow = {
      entry,
      pending: 0,
      idleWaiters: [],
      retired: undefined,
      warned: false,
      handle: {
        line,
        version: entry.version,
        digest: entry.digest,
        retire() {
          if (lines.get(line) === s) lines.delete(line);
          s.retired ??= (s.pending === 0 ? Promise.resolve() : new Promise<void>((r) => s.idleWaiters.push(r))).then(
            () => entry.model.close(),
          );
          return s.retired;
        },
      },
    };
    return s;
  }

  async function runShadow(s: LineShadow, champion: ChampionCall, feeds: TensorMap, compared: ComparedOutput) {
    const { line } = champion;
    const pair = { line, championVersion: champion.version, challengerVersion: s.entry.version };
    let outcome: ShadowOutcome;
    const started = performance.now();
    try {
      const output = (await s.entry.model.run(feeds, [compared.name]))[compared.name];
      const challengerLatencyMs = performance.now() - started;
      if (output === undefined) throw new AgentError('INTERNAL', `challenger returned no output ${compared.name}`);
      const counted = agreeingRows(compared.comparison, compared.tensor, output);
      if (typeof counted === 'string') throw new AgentError('INTERNAL', `${compared.name}: ${counted}`);
      outcome = { kind: 'compared', ...counted, championLatencyMs: champion.latencyMs, challengerLatencyMs };
    } catch (error) {
      errors++;
      const context = { line, version: s.entry.version, err: error };
      if (s.warned) logger.debug(context, 'shadow run failed');
      else logger.warn(context, 'shadow run failed (further failures of this challenger are only counted)');
      s.warned = true;
      outcome = { kind: 'challenger-error' };
    } finally {
      runs++;
      release(s);
    }
    windows.record(pair, outcome);
  }

  return {
    activate(line, entry) {
      const previous = lines.get(line);
      lines.set(line, makeShadow(line, entry));
      return previous?.handle;
    },
    compareWith(line, comparison) {
      if (comparison === undefined) comparisons.delete(line);
      else comparisons.set(line, comparison);
    },
    detach(line) {
      const s = lines.get(line);
      lines.delete(line);
      return s?.handle;
    },
    active: () => [...lines.values()].map(({ handle: { line, version, digest } }) => ({ line, version, digest })),
    observe(result) {
      const s = lines.get(result.line);
      if (s === undefined) return;
      if (s.pending >= settings.maxQueuedPerLine) {
        skipped++;
        return;
      }
      // A model with recurrent state keeps its state per caller stream, which a challenger does not share,
      // so it has no shadow runs; a call that did not fetch the compared output has nothing to compare.
      const comparison = comparisons.get(result.line) ?? DEFAULT_COMPARISON;
      const name = comparedOutput(comparison, result.manifest.outputs);
      const championOutput = name === undefined ? undefined : result.outputs[name];
      if (name === undefined || championOutput === undefined || (result.manifest.state?.length ?? 0) > 0) return;
      try {
        // Copies: the caller owns its input buffers and the returned outputs and may reuse them at once.
        const feeds: Record<string, Tensor> = {};
        for (const [key, t] of Object.entries(result.feeds))
          feeds[key] = { type: t.type, data: t.data.slice(), dims: [...t.dims] } as Tensor;
        const tensor = { type: championOutput.type, data: championOutput.data.slice(), dims: [...championOutput.dims] };
        const compared: ComparedOutput = { name, tensor: tensor as Tensor, comparison };
        const champion = { line: result.line, version: result.version, latencyMs: result.latencyMs };
        s.pending += 1;
        setImmediate(() => {
          runShadow(s, champion, feeds, compared).catch((error: unknown) =>
            logger.error({ err: error, line: result.line }, 'shadow bookkeeping failed'),
          );
        });
      } catch (error) {
        // This runs on the prediction's path: a shadow problem must never fail the champion's answer.
        logger.error({ err: error, line: result.line, version: s.entry.version }, 'could not schedule a shadow run');
      }
    },
    stats: () => ({ runs, skipped, errors }),
    flush: () => windows.flush(),
    async close() {
      const retiring = [...lines.values()].map((s) => s.handle.retire());
      await Promise.all(retiring);
      windows.close();
    },
  };
}
