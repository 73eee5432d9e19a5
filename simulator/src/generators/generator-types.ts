/**
 * What a cohort's data generator hands its devices: the inputs of one call, as iris rows (the rows API of
 * the built-in iris models) or as named tensors (`agent.infer`). A cohort generator makes one generator per
 * device, drawing from that device's own seeded stream and keeping its own state (an audio stream's phase),
 * so what a device is fed never depends on the order in which devices run.
 */
import type { Rng, TensorMap } from '@edgefleet/protocol';

export type CallInput =
  | { readonly kind: 'rows'; readonly rows: number[][] }
  | { readonly kind: 'tensors'; readonly feeds: TensorMap };

export interface DeviceGenerator {
  /** The inputs of the device's next call at virtual time `atMs` (drift applies from the cohort's start on). */
  next(atMs: number): CallInput;
}

export interface CohortGenerator {
  forDevice(rng: Rng): DeviceGenerator;
}

/** Drift starts `atMin` virtual minutes after the run's start; never without a drift. */
export function driftStartMs(drift: { atMin: number } | undefined, startMs: number): number {
  return drift === undefined ? Number.POSITIVE_INFINITY : startMs + drift.atMin * 60_000;
}
