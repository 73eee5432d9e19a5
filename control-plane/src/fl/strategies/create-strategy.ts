/**
 * The one way to obtain an aggregation rule: validates the configuration (FL_CONFIG_INVALID otherwise) and
 * restores FedAdam's optimizer state when the coordinator resumes a run. Only FedAdam has state, so a saved
 * state for any other rule is a configuration error rather than something to ignore silently.
 */
import { ControlPlaneError } from '../../errors.js';
import type { AggregationStrategy } from './aggregation-strategy.js';
import { createFedAdam } from './fedadam.js';
import { createFedAvg } from './fedavg.js';
import { createMedian, createTrimmedMean } from './robust.js';
import { resolveStrategyConfig, type StrategyConfig } from './strategy-config.js';

export function createStrategy(config: StrategyConfig, savedState?: Uint8Array | null): AggregationStrategy {
  const resolved = resolveStrategyConfig(config);
  if (savedState != null && resolved.name !== 'fedadam') {
    throw new ControlPlaneError('FL_CONFIG_INVALID', `${resolved.name} has no optimizer state to restore`);
  }
  switch (resolved.name) {
    case 'fedavg':
    case 'fedprox':
      return createFedAvg(resolved.name);
    case 'fedadam':
      return createFedAdam(resolved, savedState);
    case 'median':
      return createMedian();
    case 'trimmed-mean':
      return createTrimmedMean(resolved.trimFraction);
  }
}
