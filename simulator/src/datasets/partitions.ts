/**
 * How a training set is spread over simulated FL clients, after McMahan et al. 2017 §3: IID — shuffle and
 * deal equal parts; pathological non-IID — sort by label, cut into `clients × shardsPerClient` equal shards
 * and give each client `shardsPerClient` random shards (with 2 shards of 40 from 8,000 digits most clients
 * hold only two digit classes). Both are seeded; each client gets a list of row indices into the set.
 */
import { mulberry32, shuffled } from '@edgefleet/protocol';

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Cuts `items` into `parts` consecutive parts whose sizes differ by at most one. */
function cut<T>(items: readonly T[], parts: number): T[][] {
  return range(parts).map((k) =>
    items.slice(Math.floor((k * items.length) / parts), Math.floor(((k + 1) * items.length) / parts)),
  );
}

function assertClients(clients: number, n: number): void {
  if (!Number.isInteger(clients) || clients < 1 || clients > n) {
    throw new RangeError(`clients must be an integer in [1, ${n}], got ${clients}`);
  }
}

export function iidPartition(options: { n: number; clients: number; seed: number }): number[][] {
  assertClients(options.clients, options.n);
  return cut(shuffled(range(options.n), mulberry32(options.seed)), options.clients);
}

export function shardPartition(options: {
  labels: ArrayLike<number>;
  clients: number;
  shardsPerClient: number;
  seed: number;
}): number[][] {
  const n = options.labels.length;
  const shardCount = options.clients * options.shardsPerClient;
  assertClients(shardCount, n);
  // Array.prototype.sort is stable (ES2019), so rows of one label keep the set's order.
  const byLabel = range(n).sort((a, b) => (options.labels[a] as number) - (options.labels[b] as number));
  const shards = cut(byLabel, shardCount);
  const order = shuffled(range(shardCount), mulberry32(options.seed));
  return cut(order, options.clients).map((ids) => ids.flatMap((id) => shards[id] as number[]));
}
