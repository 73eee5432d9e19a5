/**
 * Synthetic federated updates for the aggregation tests and the aggregation benchmark: seeded client deltas
 * with random sample counts, a poisoned minority, and a complete secure-aggregation round (key pairs, masked
 * vectors, clients dropping after masking, the survivors' seed reveal) played through the protocol's public
 * API, ready for `unmaskAggregate`. Deltas are Gaussian from the protocol's seeded noise generator, sample
 * counts from the fixtures' mulberry32, so a seed fixes every byte.
 */
import {
  addGaussianNoise,
  maskedUpdate,
  mulberry32,
  pairwiseSeedsFor,
  type RevealedSeed,
  type SecAggKeyPair,
  secAggKeyPair,
  type UnmaskInput,
} from '@edgefleet/protocol';

/** One client's update as the control plane's aggregation strategies take it. */
export interface ClientUpdate {
  readonly deviceId: string;
  readonly delta: Float32Array;
  readonly sampleCount: number;
}

export interface RandomUpdatesOptions {
  readonly count: number;
  readonly length: number;
  readonly seed: number;
  /** Every delta is N(mean, stdDev²) per coordinate (defaults 0 and 0.01). */
  readonly mean?: number;
  readonly stdDev?: number;
  /** Sample counts are uniform integers in [minSamples, maxSamples] (defaults 10 and 100). */
  readonly minSamples?: number;
  readonly maxSamples?: number;
}

/** 32 seed bytes naming (seed, index), for the protocol's seeded generators. */
export function seedBytes(seed: number, index: number): Uint8Array {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, seed >>> 0);
  view.setUint32(4, index >>> 0);
  return bytes;
}

export function deviceIdOf(index: number): string {
  return `dev-${String(index).padStart(4, '0')}`;
}

export function randomUpdates(options: RandomUpdatesOptions): ClientUpdate[] {
  const random = mulberry32(options.seed);
  const minSamples = options.minSamples ?? 10;
  const maxSamples = options.maxSamples ?? 100;
  const base = new Float32Array(options.length).fill(options.mean ?? 0);
  return Array.from({ length: options.count }, (_, i) => ({
    deviceId: deviceIdOf(i),
    delta: addGaussianNoise(base, { stdDev: options.stdDev ?? 0.01, seed: seedBytes(options.seed, i) }),
    sampleCount: minSamples + Math.floor(random() * (maxSamples - minSamples + 1)),
  }));
}

/**
 * Replaces the first `round(fraction · count)` updates by poisoned ones: the honest delta times `scale`
 * (a boosted/sign-flipped model-replacement attack), optionally claiming `claimedSamples` samples.
 */
export function poisonUpdates(
  updates: readonly ClientUpdate[],
  options: { fraction: number; scale: number; claimedSamples?: number },
): ClientUpdate[] {
  const poisoned = Math.round(options.fraction * updates.length);
  return updates.map((update, i) => {
    if (i >= poisoned) return update;
    const delta = update.delta.map((v) => v * options.scale);
    return { deviceId: update.deviceId, delta, sampleCount: options.claimedSamples ?? update.sampleCount };
  });
}

export interface SecAggRoundOptions {
  readonly roundId: string;
  readonly updates: readonly ClientUpdate[];
  /** Clients that mask (with every peer) but whose masked vector never arrives. */
  readonly droppedIds?: ReadonlySet<string>;
  readonly scaleBits: number;
  readonly clipAbs?: number;
}

export interface SecAggRound {
  readonly keys: ReadonlyMap<string, SecAggKeyPair>;
  /** What the server holds after the recovery step: pass to `unmaskAggregate`. */
  readonly unmask: UnmaskInput;
}

/** Plays one secure-aggregation round over a complete peer graph, with dropouts after masking. */
export function secAggRound(options: SecAggRoundOptions): SecAggRound {
  const { roundId, updates, scaleBits } = options;
  const dropped = options.droppedIds ?? new Set<string>();
  const keys = new Map(updates.map((u, i) => [u.deviceId, secAggKeyPair(seedBytes(0x5ec, i))] as const));
  const peerOf = (deviceId: string) => ({ deviceId, publicKey: keys.get(deviceId)!.publicKey });
  const masked = new Map<string, Uint32Array>();
  for (const update of updates) {
    const vector = maskedUpdate({
      roundId,
      selfId: update.deviceId,
      secretKey: keys.get(update.deviceId)!.secretKey,
      peers: updates.filter((u) => u !== update).map((u) => peerOf(u.deviceId)),
      delta: update.delta,
      sampleCount: update.sampleCount,
      scaleBits,
      ...(options.clipAbs === undefined ? {} : { clipAbs: options.clipAbs }),
    });
    if (!dropped.has(update.deviceId)) masked.set(update.deviceId, vector);
  }
  const droppedPeers = [...dropped].map(peerOf);
  const revealed: RevealedSeed[] = [...masked.keys()].flatMap((selfId) =>
    pairwiseSeedsFor({ roundId, selfId, secretKey: keys.get(selfId)!.secretKey, dropped: droppedPeers }),
  );
  const sampleCounts = new Map(updates.filter((u) => masked.has(u.deviceId)).map((u) => [u.deviceId, u.sampleCount]));
  const length = updates[0]?.delta.length ?? 0;
  return { keys, unmask: { masked, sampleCounts, dropped: [...dropped], revealed, scaleBits, length } };
}
