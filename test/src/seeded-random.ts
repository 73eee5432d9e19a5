/**
 * Seeded randomness for fault schedules — kill points, per-window loads — so they are random but the same on
 * every run of a seed, and a failing trial can be replayed. The generator is the project's one seeded source
 * (protocol `mulberry32`).
 */
import { mulberry32 } from '@edgefleet/protocol';

export const seededRandom = mulberry32;

/** An integer in [min, max] from `random`. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
