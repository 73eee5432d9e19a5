/**
 * The contract between the FL coordinator and an aggregation rule. A strategy turns the round's global
 * weights and its accepted client deltas into the next global weights; a stateful one (FedAdam) exposes its
 * optimizer state as bytes so the coordinator can persist it with the round and resume after a restart.
 */
import type { ClientUpdate } from './client-update.js';
import type { StrategyName } from './strategy-config.js';

export interface AggregationStrategy {
  readonly name: StrategyName;
  /**
   * Whether the rule needs only the weighted-mean delta (which secure aggregation reveals) rather than the
   * individual updates. The robust rules need every update, so they cannot run on a securely aggregated round.
   */
  readonly supportsSecureAggregation: boolean;
  /**
   * New global weights from the round's updates (validated at ingest with `validateUpdate`). Advances a
   * stateful strategy's optimizer by one round.
   */
  aggregate(global: Float32Array, updates: readonly ClientUpdate[]): Float32Array;
  /**
   * New global weights from an already-averaged delta — the output of `unmaskAggregate` on a securely
   * aggregated round. Throws FL_CONFIG_INVALID for strategies that need individual updates.
   */
  applyMeanDelta(global: Float32Array, meanDelta: Float32Array): Float32Array;
  /** Serializable server-optimizer state (FedAdam's m and v), null for stateless rules. */
  state(): Uint8Array | null;
}
