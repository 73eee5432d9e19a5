/**
 * Building blocks of the MNIST reproduction: the centralized baseline (plain minibatch SGD on all training
 * digits with the same trainer), learning-rate / μ selection by short pilot runs over a grid (McMahan et al.
 * 2017 tuned the learning rate per configuration the same way), and the compact summary each run leaves in
 * bench-results/fl-mnist.json.
 */
import type { MlpTrainer } from '@edgefleet/agent';
import type { LabelledImages } from '@edgefleet/test/datasets';
import { type FederatedRunResult, type RoundPoint, roundsToAccuracy } from '../../src/index.js';

export const TARGETS = Object.freeze([0.94, 0.9]);

export interface RunSummary {
  readonly rounds: number;
  /** Rounds (epochs for the centralized run) to reach each target test accuracy; null when never reached. */
  readonly roundsTo: Record<string, number | null>;
  readonly finalAccuracy: number;
  /** Best test accuracy over all rounds (the paper's curves are monotone this way). */
  readonly bestAccuracy: number;
  readonly divergedAtRound: number | null;
  readonly elapsedMs: number;
  /** Test accuracy after each round, index 0 = the initial model. */
  readonly accuracyCurve: number[];
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

export function summarize(run: FederatedRunResult): RunSummary {
  const accuracies = run.curve.map((p) => p.accuracy);
  return {
    rounds: run.curve.length - 1,
    roundsTo: Object.fromEntries(TARGETS.map((t) => [String(t), roundsToAccuracy(run.curve, t)])),
    finalAccuracy: round4(accuracies.at(-1) ?? 0),
    bestAccuracy: round4(Math.max(...accuracies)),
    divergedAtRound: run.divergedAtRound,
    elapsedMs: run.elapsedMs,
    accuracyCurve: accuracies.map(round4),
  };
}

export interface CentralizedOptions {
  readonly trainer: MlpTrainer;
  readonly train: LabelledImages;
  readonly test: LabelledImages;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly onEpoch?: (point: RoundPoint) => void;
}

/** SGD over all training digits; one curve point per epoch, in the federated runs' result shape. */
export async function runCentralized(options: CentralizedOptions): Promise<FederatedRunResult> {
  const started = performance.now();
  const { trainer, train, test } = options;
  let weights = trainer.initialWeights(options.seed);
  const score = async (round: number) => {
    const point = { round, ...(await trainer.evaluate({ weights, x: test.x, y: test.y })) };
    options.onEpoch?.(point);
    return point;
  };
  const curve = [await score(0)];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const result = await trainer.train({
      weights,
      x: train.x,
      y: train.y,
      epochs: 1,
      batchSize: options.batchSize,
      lr: options.lr,
      seed: options.seed + epoch,
    });
    weights = result.weights;
    curve.push(await score(epoch));
  }
  return { curve, weights, divergedAtRound: null, elapsedMs: Math.round(performance.now() - started) };
}

export interface PilotChoice<T> {
  readonly chosen: T;
  /** Final test accuracy of each pilot run (0 when it diverged). */
  readonly pilotAccuracy: Record<string, number>;
}

/** Runs `pilot` for each candidate and keeps the best final accuracy (the smaller candidate on a tie). */
export async function choose<T extends number>(
  candidates: readonly T[],
  pilot: (candidate: T) => Promise<FederatedRunResult>,
): Promise<PilotChoice<T>> {
  const pilotAccuracy: Record<string, number> = {};
  let chosen = candidates[0] as T;
  let best = -1;
  for (const candidate of [...candidates].sort((a, b) => a - b)) {
    const run = await pilot(candidate);
    const accuracy = run.divergedAtRound === null ? (run.curve.at(-1)?.accuracy ?? 0) : 0;
    pilotAccuracy[String(candidate)] = round4(accuracy);
    if (accuracy > best) {
      best = accuracy;
      chosen = candidate;
    }
  }
  return { chosen, pilotAccuracy };
}
