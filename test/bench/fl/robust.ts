/**
 * The robust-aggregation experiment at small scale: 20 IID clients of the MNIST split, all training every
 * round, 4 of them (20 %) attackers. Two attacks — the honest delta scaled by −10 (boosted gradient ascent) and
 * large uniform noise in place of the delta — against three aggregates: the sample-weighted mean (FedAvg), the
 * coordinate-wise median and the 20 % trimmed mean (Yin et al. 2018), plus the benign weighted mean for
 * reference. The aggregates are the control plane's strategies (test/src/fl/aggregates.ts).
 */
import type { MlpTrainer } from '@edgefleet/agent';
import type { LabelledImages } from '@edgefleet/test/datasets';
import {
  type Aggregate,
  type Attack,
  coordinateMedianAggregate,
  noiseAttack,
  runFederated,
  scaledAttack,
  trimmedMeanAggregate,
  weightedMeanAggregate,
} from '../../src/index.js';
import { type RunSummary, summarize } from './runs.js';

export interface RobustOptions {
  readonly trainer: MlpTrainer;
  readonly clients: readonly LabelledImages[];
  readonly test: LabelledImages;
  readonly attackers: number;
  readonly rounds: number;
  readonly lr: number;
  readonly seed: number;
  readonly progress: (line: string) => void;
}

export interface RobustResult {
  readonly setup: Record<string, unknown>;
  readonly runs: Record<string, RunSummary>;
}

export async function runRobustExperiment(options: RobustOptions): Promise<RobustResult> {
  const attackers = new Set(Array.from({ length: options.attackers }, (_, k) => k * 5));
  const aggregates: Record<string, Aggregate> = {
    'weighted mean': weightedMeanAggregate,
    'coordinate median': coordinateMedianAggregate,
    'trimmed mean 20%': trimmedMeanAggregate(0.2),
  };
  const attacks: Record<string, Attack | null> = {
    none: null,
    'delta × −10': scaledAttack(-10),
    'uniform noise σ=0.5': noiseAttack(0.5),
  };
  const runs: Record<string, RunSummary> = {};
  for (const [attackName, attack] of Object.entries(attacks)) {
    for (const [aggregateName, aggregate] of Object.entries(aggregates)) {
      if (attack === null && aggregateName !== 'weighted mean') continue;
      const name = `${aggregateName} / attack: ${attackName}`;
      const run = await runFederated({
        trainer: options.trainer,
        clients: options.clients,
        test: options.test,
        rounds: options.rounds,
        clientFraction: 1,
        epochs: 1,
        batchSize: 10,
        lr: options.lr,
        seed: options.seed,
        aggregate,
        ...(attack === null ? {} : { attackers: { clients: attackers, attack } }),
      });
      runs[name] = summarize(run);
      options.progress(`robust ${name}: final ${runs[name].finalAccuracy} (${run.elapsedMs} ms)`);
    }
  }
  return {
    setup: {
      clients: options.clients.length,
      attackers: [...attackers],
      rounds: options.rounds,
      clientFraction: 1,
      epochs: 1,
      batchSize: 10,
      lr: options.lr,
    },
    runs,
  };
}
