/**
 * Reads a process's footprint from Linux /proc (proc(5)): resident set size from `/proc/<pid>/status`
 * (VmRSS) and CPU time from `/proc/<pid>/stat` (utime + stime, fields 14–15, in clock ticks of 1/100 s —
 * USER_HZ is 100 on every Linux ABI). Sampling /proc costs the measured process nothing, unlike an
 * in-process probe.
 */
import { readFile } from 'node:fs/promises';

const TICKS_PER_SEC = 100;

/**
 * VmRSS and its parts: RssAnon (private memory the process allocated: heaps, arenas) and RssFile (pages of
 * mapped files — node's and onnxruntime's shared libraries — clean, shared with other processes using the
 * same files, and reclaimable by the kernel under memory pressure).
 */
export async function rssBytes(pid: number): Promise<{ rss: number; anon: number; file: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/** Children of `pid` (Linux ≥ 3.5 /proc/<pid>/task/<pid>/children). */
export async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .trim()
    .split(/\s+/)
    .filter((s) => s.length > 0)
    .map(Number);
}

export interface IdleFootprint {
  readonly rssMeanMb: number;
  readonly rssMaxMb: number;
  /** Means of RssAnon and RssFile over the window. */
  readonly rssAnonMeanMb: number;
  readonly rssFileMeanMb: number;
  /** CPU time over the window as a percentage of one core. */
  readonly cpuPercentOfCore: number;
}

/** Samples every pid once a second for `seconds`; CPU from the first to the last sample. */
export async function sampleIdle(
  pids: Record<string, number>,
  seconds: number,
): Promise<Record<string, IdleFootprint>> {
  const names = Object.keys(pids);
  const rss: Record<string, Array<{ rss: number; anon: number; file: number }>> = Object.fromEntries(
    names.map((n) => [n, []]),
  );
  const cpuStart: Record<string, number> = {};
  for (const n of names) cpuStart[n] = await cpuSeconds(pids[n] as number);
  const started = process.hrtime.bigint();
  for (let s = 0; s < seconds; s++) {
    for (const n of names) rss[n]?.push(await rssBytes(pids[n] as number));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const out: Record<string, IdleFootprint> = {};
  for (const n of names) {
    const samples = rss[n] ?? [];
    const mean = (pick: (s: { rss: number; anon: number; file: number }) => number) =>
      mb(samples.reduce((a, s) => a + pick(s), 0) / samples.length);
    const cpu = (await cpuSeconds(pids[n] as number)) - (cpuStart[n] ?? 0);
    out[n] = {
      rssMeanMb: mean((s) => s.rss),
      rssMaxMb: mb(Math.max(...samples.map((s) => s.rss))),
      rssAnonMeanMb: mean((s) => s.anon),
      rssFileMeanMb: mean((s) => s.file),
      cpuPercentOfCore: Math.round((cpu / elapsedSec) * 100 * 1000) / 1000,
    };
  }
  return out;
}
