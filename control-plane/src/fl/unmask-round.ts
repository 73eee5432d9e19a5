/**
 * Turns a securely aggregated round's outcome into the weighted-mean delta: the survivors' masked vectors,
 * their announced sample counts, and for every (survivor, dropped) pair the seed the survivor revealed
 * (Bonawitz et al. 2017 §4 recovery, pairwise part). protocol's `unmaskAggregate` checks that exactly the
 * outstanding pairs were revealed and that no dropped client's vector is included.
 */
import { unmaskAggregate } from '@edgefleet/protocol';
import type { RoundOutcome } from './round-types.js';

export function unmaskRound(outcome: RoundOutcome, scaleBits: number, length: number): Float32Array {
  const masked = new Map(outcome.updates.map((u) => [u.deviceId, u.values as Uint32Array]));
  const sampleCounts = new Map(outcome.updates.map((u) => [u.deviceId, u.sampleCount]));
  const dropped = new Set(outcome.dropped);
  const revealed = [...outcome.revealed].flatMap(([survivor, seeds]) =>
    seeds
      .filter((s) => dropped.has(s.peer))
      .map((s) => {
        const [a, b] = survivor < s.peer ? [survivor, s.peer] : [s.peer, survivor];
        return { a, b, seed: s.seed };
      }),
  );
  return unmaskAggregate({ masked, sampleCounts, dropped: outcome.dropped, revealed, scaleBits, length });
}
