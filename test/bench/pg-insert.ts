/**
 * `pnpm bench:pg-insert`: the raw PostgreSQL baseline of the ingest benchmark — how many
 * telemetry-shaped rows per second plain node-postgres inserts reach with 1, 100 and 500 rows per statement,
 * on 1 and on 4 connections (bench/pg/raw-insert.ts). Throw-away server from test-kit/src/postgres.ts (fsync and
 * synchronous_commit off, as in the tests: the rates bound what the database costs per row, not the disk).
 * Median of `TRIALS` runs per case; writes bench-results/pg-insert.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPostgres } from '@edgefleet/test-kit';
import { rawInsert } from './pg/raw-insert.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);

const server = await startPostgres();
const raw = await rawInsert(await server.createDatabase());

const cases = [
  { rowsPerStatement: 1, connections: 1 },
  { rowsPerStatement: 100, connections: 1 },
  { rowsPerStatement: 500, connections: 1 },
  { rowsPerStatement: 1, connections: 4 },
  { rowsPerStatement: 500, connections: 4 },
];
const results = [];
try {
  for (const c of cases) {
    const trials: number[] = [];
    for (let t = 0; t < TRIALS; t++) trials.push(await raw.rate({ rows: ROWS, ...c }));
    const sorted = [...trials].sort((a, b) => a - b);
    console.error('pg-insert', c);
    results.push({
      ...c,
      rowsPerSec: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      trials: trials.map(Math.round),
    });
  }
} finally {
  await raw.close();
  await server.stop();
}
const baseline = results[0]?.rowsPerSec ?? 1;
const report = {
  benchmark: 'pg-insert',
  at: new Date().toISOString(),
  node: process.version,
  rows: ROWS,
  trials: TRIALS,
  baseline: '1 row per statement, 1 connection',
  results: results.map((r) => ({ ...r, ratioToBaseline: Math.round((r.rowsPerSec / baseline) * 100) / 100 })),
};
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'pg-insert.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
