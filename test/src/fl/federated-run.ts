/**
 * A small in-process federated loop for the MNIST experiments (McMahan et al. 2017 Alg. 1, FederatedAveraging):
 * each round a seeded RNG picks max(C·K, 1) of the K clients, each trains the agent's real MlpTrainer from the
 * global weights on its own data only, sends back a delta and its sample count, an `Aggregate` turns the deltas
 * into the next global weights, and the global model is scored on the held-out test digits. Optional attackers
 * replace their honest delta with a poisoned one, for the robust-aggregation experiment. No MQTT or control
 * plane here: this isolates the learning dynamics; the round protocol itself is tested end to end elsewhere.
 */
import type { MlpTrainer } from '@edgefleet/agent';
import { mulberry32, type Rng, shuffled } from '@edgefleet/protocol';
import type { LabelledImages } from '@edgefleet/simulator';
import type { Aggregate, ClientUpdate } from './aggregates.js';

/** Turns an honest delta into the update an attacker sends. */
export type Attack = (delta: Float32Array, random: Rng) => Float32Array;

export interface FederatedRunOptions {
  readonly trainer: MlpTrainer;
  /** Each client's local data (never leaves the client's trainer call). */
  readonly clients: readonly LabelledImages[];
  readonly test: LabelledImages;
  readonly rounds: number;
  /** C: the fraction of clients selected each round. */
  readonly clientFraction: number;
  /** E and B of the paper; batchSize 0 = the client's whole data in one batch (FedSGD). */
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** FedProx μ; absent = FedAvg. */
  readonly mu?: number;
  readonly seed: number;
  readonly aggregate: Aggregate;
  /** Stop at the first round whose test accuracy reaches this. */
  readonly stopAtAccuracy?: number;
  readonly attackers?: { readonly clients: ReadonlySet<number>; readonly attack: Attack };
  readonly onRound?: (point: RoundPoint) => void;
}

export interface RoundPoint {
  readonly round: number;
  readonly accuracy: number;
  readonly loss: number;
}

export interface FederatedRunResult {
  /** Round 0 is the initial model. */
  readonly curve: RoundPoint[];
  readonly weights: Float32Array;
  /** The round at which the global weights stopped being finite (the run ends there), or null. */
  readonly divergedAtRound: number | null;
  readonly elapsedMs: number;
}

/** First round whose test accuracy reaches `target`, or null. */
export function roundsToAccuracy(curve: readonly RoundPoint[], target: number): number | null {
  return curve.find((p) => p.accuracy >= target)?.round ?? null;
}

export const scaledAttack =
  (factor: number): Attack =>
  (delta) =>
    delta.map((v) => v * factor);

/** Uniform noise with standard deviation `std` in place of the honest delta. */
export const noiseAttack =
  (std: number): Attack =>
  (delta, random) =>
    delta.map(() => (random() * 2 - 1) * std * Math.sqrt(3));

export async function runFederated(options: FederatedRunOptions): Promise<FederatedRunResult> {
  const started = performance.now();
  const { trainer, clients } = options;
  const random = mulberry32(options.seed);
  const perRound = Math.max(1, Math.round(options.clientFraction * clients.length));
  const ids = Array.from({ length: clients.length }, (_, k) => k);
  let global: Float32Array = trainer.initialWeights(options.seed);
  const evaluate = async (round: number): Promise<RoundPoint> => {
    const score = await trainer.evaluate({ weights: global, x: options.test.x, y: options.test.y });
    const point = { round, ...score };
    options.onRound?.(point);
    return point;
  };
  const curve = [await evaluate(0)];
  let divergedAtRound: number | null = null;
  for (let round = 1; round <= options.rounds; round++) {
    const updates: ClientUpdate[] = [];
    for (const k of shuffled(ids, random).slice(0, perRound)) {
      const data = clients[k] as LabelledImages;
      const trained = await trainer.train({
        weights: global,
        x: data.x,
        y: data.y,
        epochs: options.epochs,
        batchSize: options.batchSize,
        lr: options.lr,
        ...(options.mu === undefined ? {} : { mu: options.mu }),
        seed: Math.floor(random() * 2 ** 32),
      });
      let delta: Float32Array = trained.weights.map((w, i) => w - (global[i] as number));
      if (options.attackers?.clients.has(k)) delta = options.attackers.attack(delta, random);
      updates.push({ deviceId: `client-${k}`, delta, sampleCount: data.n });
    }
    global = options.aggregate(global, updates);
    if (!global.every(Number.isFinite)) {
      // A device refuses non-finite global weights (FL_TASK_INVALID), so the federation cannot go on.
      divergedAtRound = round;
      break;
    }
    const point = await evaluate(round);
    curve.push(point);
    if (options.stopAtAccuracy !== undefined && point.accuracy >= options.stopAtAccuracy) break;
  }
  return { curve, weights: global, divergedAtRound, elapsedMs: Math.round(performance.now() - started) };
}
