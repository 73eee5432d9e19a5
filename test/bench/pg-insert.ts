/**
 * `pnpm bench:pg-insert`: the raw PostgreSQL baseline of issue 9's ingest benchmark — how many
 * telemetry-shaped rows per second (the telemetry_windows columns: device, seq, line, version, window span,
 * counts, JSON latency, received-at) plain node-postgres inserts reach with 1, 100 and 500 rows per
 * statement (each statement its own autocommit transaction), on 1 and on 4 connections. Throw-away server
 * from test/src/postgres.ts (fsync and synchronous_commit off, as in the tests: the rates bound what the
 * database costs per row, not the disk). Median of `TRIALS` runs per case; writes bench-results/pg-insert.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../src/postgres.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const COLUMNS = 10;

const server = await startPostgres();
const url = await server.createDatabase();
const pool = new pg.Pool({ connectionString: url, max: 4 });
// The server's shutdown can reach an idle pooled connection after pool.end(); that is not a result.
pool.on('error', () => {});
await pool.query(`create table telemetry_windows (
  id bigserial primary key, device_id text not null, seq bigint not null, line text not null,
  version bigint not null, window_start_ms bigint not null, window_end_ms bigint not null,
  count bigint not null, errors bigint not null, latency_ms jsonb not null, received_at bigint not null)`);
await pool.query('create unique index telemetry_device_seq on telemetry_windows (device_id, seq)');

let seq = 0;
function row(): unknown[] {
  seq += 1;
  const start = 1_795_441_884_528 + seq;
  return [`dev-${seq % 1000}`, seq, 'iris', 3, start, start + 60_000, 120, 1, '{"p50":1.2,"p95":3.4}', start];
}
function statement(rows: number): string {
  const tuples = Array.from({ length: rows }, (_, r) => {
    const base = r * COLUMNS;
    return `(${Array.from({ length: COLUMNS }, (_, c) => `$${base + c + 1}`).join(',')})`;
  });
  return `insert into telemetry_windows (device_id, seq, line, version, window_start_ms, window_end_ms, count, errors, latency_ms, received_at) values ${tuples.join(',')}`;
}

async function run(rowsPerStatement: number, connections: number): Promise<number> {
  const sql = statement(rowsPerStatement);
  const statements = Math.ceil(ROWS / rowsPerStatement);
  let next = 0;
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (next < statements) {
        next += 1;
        await client.query({
          name: `ins-${rowsPerStatement}`,
          text: sql,
          values: Array.from({ length: rowsPerStatement }, row).flat(),
        });
      }
    } finally {
      client.release();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return (statements * rowsPerStatement) / ((performance.now() - started) / 1000);
}

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
    for (let t = 0; t < TRIALS; t++) {
      await pool.query('truncate telemetry_windows');
      trials.push(await run(c.rowsPerStatement, c.connections));
    }
    const sorted = [...trials].sort((a, b) => a - b);
    console.error('pg-insert', c);
    results.push({
      ...c,
      rowsPerSec: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      trials: trials.map(Math.round),
    });
  }
} finally {
  await pool.end();
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
