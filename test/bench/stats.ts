/**
 * Latency statistics for the benchmarks: nearest-rank percentiles over raw samples, and the comparison
 * record (candidate vs baseline measured in the same run) that `pnpm bench` writes as JSON.
 */

export interface Summary {
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(samplesMs: readonly number[]): Summary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    n: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    meanMs: round(mean),
  };
}

export interface Comparison {
  readonly name: string;
  readonly baseline: Summary & { readonly label: string };
  readonly candidate: Summary & { readonly label: string };
  readonly ratio: { readonly p50: number; readonly p99: number };
  readonly goal?: { readonly p50AtMost: number; readonly met: boolean };
}

export function compare(
  name: string,
  baseline: { label: string; samplesMs: number[] },
  candidate: { label: string; samplesMs: number[] },
  goalP50?: number,
): Comparison {
  const b = summarize(baseline.samplesMs);
  const c = summarize(candidate.samplesMs);
  const ratio = {
    p50: Math.round((c.p50Ms / b.p50Ms) * 1000) / 1000,
    p99: Math.round((c.p99Ms / b.p99Ms) * 1000) / 1000,
  };
  return {
    name,
    baseline: { label: baseline.label, ...b },
    candidate: { label: candidate.label, ...c },
    ratio,
    ...(goalP50 === undefined ? {} : { goal: { p50AtMost: goalP50, met: ratio.p50 <= goalP50 } }),
  };
}

/**
 * Runs two async operations in alternating blocks so that machine noise (other tenants, GC, frequency
 * changes) lands on both sides alike; returns per-call latencies for each.
 */
export async function interleave(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  options: { iterations: number; block: number; warmup: number },
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < options.warmup; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let done = 0; done < options.iterations; done += options.block) {
    for (const [fn, sink] of [
      [a, out.a],
      [b, out.b],
    ] as const) {
      for (let i = 0; i < options.block; i++) {
        const start = performance.now();
        await fn();
        sink.push(performance.now() - start);
      }
    }
  }
  return out;
}
