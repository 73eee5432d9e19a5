/**
 * The aggregation step of the in-process FL experiments, as the control plane's coordinator runs it: each
 * `Aggregate` wraps one of the control plane's strategies (`createStrategy`), so the MNIST reproduction and
 * the poisoning test measure the code that aggregates real rounds. An Aggregate returns the NEW global
 * weights; a stateful strategy (FedAdam) keeps its optimizer state across the calls of one run.
 */
import { type ClientUpdate, createStrategy, type StrategyConfig } from '@edgefleet/control-plane';

export type { ClientUpdate };

export type Aggregate = (global: Float32Array, updates: readonly ClientUpdate[]) => Float32Array;

export function strategyAggregate(config: StrategyConfig): Aggregate {
  const strategy = createStrategy(config);
  return (global, updates) => strategy.aggregate(global, updates);
}

/** FedAvg (McMahan et al. 2017 Alg. 1): the sample-weighted mean of the deltas. */
export const weightedMeanAggregate: Aggregate = strategyAggregate({ name: 'fedavg' });
/** Coordinate-wise median (Yin et al. 2018), unweighted. */
export const coordinateMedianAggregate: Aggregate = strategyAggregate({ name: 'median' });

export function trimmedMeanAggregate(beta: number): Aggregate {
  return strategyAggregate({ name: 'trimmed-mean', trimFraction: beta });
}
