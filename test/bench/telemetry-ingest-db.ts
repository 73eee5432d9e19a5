/**
 * `pnpm bench:ingest-db`: telemetry ingest rate of one control plane on its default SQLite file and on
 * PostgreSQL, through the real ingest path — embedded broker routing, CBOR decode, schema check,
 * device admission, the batching telemetry writer — from the first publish until `drain()` has stored every
 * window. Raw baselines in the same run, same rows: multi-row inserts of 500 telemetry rows per statement on
 * plain better-sqlite3 and plain node-postgres into the same table shape. Throw-away PostgreSQL from
 * test-kit/src/postgres.ts (fsync off, as in the tests). Median of `TRIALS` runs; bench-results/ingest-db.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createControlPlane } from '@edgefleet/control-plane';
import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import { startPostgres } from '@edgefleet/test-kit';
import pg from 'pg';

// The control plane logs through pino at EDGEFLEET_LOG_LEVEL; a benchmark measures, it does not log.
process.env.EDGEFLEET_LOG_LEVEL ??= 'silent';

const DEVICES = 50;
const WINDOWS_PER_MESSAGE = 10;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const BATCH = 500;

const requireFromCp = createRequire(new URL('../../control-plane/package.json', import.meta.url));
const Sqlite = requireFromCp('better-sqlite3') as new (
  file: string,
) => { exec(sql: string): void; prepare(sql: string): { run(...a: unknown[]): unknown }; close(): void };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const window = (seq: number, start: number) => ({
  seq,
  kind: 'inference',
  line: 'iris',
  version: 1,
  windowStartMs: start,
  windowEndMs: start + 60_000,
  count: 120,
  errors: 1,
  latencyMs: { p50: 1.2, p95: 3.4, p99: 4, max: 5, mean: 1.3 },
});

async function controlPlaneRate(database: { kind: 'sqlite' } | { kind: 'postgres'; url: string }): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ef-bench-ingest-'));
  const cp = await createControlPlane({
    dataDir,
    httpPort: 0,
    mqttPort: 0,
    database,
  });
  try {
    const auth = { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const minted = await cp.app.request('/v1/enrolment-tokens', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ group: 'bench' }),
      });
      const { token } = (await minted.json()) as { token: string };
      const res = await cp.app.request('/v1/enrol', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, deviceId: `bench-${i}` }),
      });
      ids.push(((await res.json()) as { deviceId: string }).deviceId);
    }
    const payloads = Array.from({ length: MESSAGES }, (_, m) => {
      const records = Array.from({ length: WINDOWS_PER_MESSAGE }, (_, r) => {
        const seq = Math.floor(m / DEVICES) * WINDOWS_PER_MESSAGE + r + 1;
        return window(seq, 1_795_441_884_528 + seq * 60_000);
      });
      return {
        topic: deviceTopic(ids[m % DEVICES] as string, 'telemetry'),
        bytes: encodeCbor({ v: 1, type: 'telemetry', ts: 1, records }),
      };
    });
    const t0 = performance.now();
    await Promise.all(payloads.map((p) => cp.broker.publish(p.topic, p.bytes, { qos: 1, retain: false })));
    await cp.drain();
    return (MESSAGES * WINDOWS_PER_MESSAGE) / ((performance.now() - t0) / 1000);
  } finally {
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const COLUMNS = [
  'device_id',
  'seq',
  'line',
  'version',
  'window_start_ms',
  'window_end_ms',
  'count',
  'errors',
  'latency_ms',
  'received_at',
];
const rawRow = (i: number) => {
  const start = 1_795_441_884_528 + i;
  return [`bench-${i % DEVICES}`, i, 'iris', 1, start, start + 60_000, 120, 1, '{"p50":1.2,"p95":3.4}', start];
};
const valuesClause = (rows: number, placeholder: (n: number) => string) =>
  Array.from(
    { length: rows },
    (_, r) => `(${COLUMNS.map((_, c) => placeholder(r * COLUMNS.length + c + 1)).join(',')})`,
  ).join(',');
const TABLE = `(id integer primary key, device_id text not null, seq integer not null, line text not null, version integer not null,
  window_start_ms integer not null, window_end_ms integer not null, count integer not null, errors integer not null,
  latency_ms text not null, received_at integer not null)`;
const ROWS = MESSAGES * WINDOWS_PER_MESSAGE;

function rawSqliteRate(): number {
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-raw-'));
  const db = new Sqlite(join(dir, 'raw.db'));
  try {
    db.exec('pragma journal_mode = WAL');
    db.exec(`create table t ${TABLE}; create unique index t_device_seq on t (device_id, seq)`);
    const insert = db.prepare(
      `insert into t (${COLUMNS.join(',')}) values ${valuesClause(BATCH, () => '?')} on conflict do nothing`,
    );
    const t0 = performance.now();
    for (let i = 0; i < ROWS; i += BATCH) insert.run(...Array.from({ length: BATCH }, (_, r) => rawRow(i + r)).flat());
    return ROWS / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rawPgRate(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `create table t ${TABLE.replace('id integer primary key', 'id bigserial primary key').replaceAll(' integer ', ' bigint ').replace('latency_ms text', 'latency_ms jsonb')}`,
    );
    await client.query('create unique index t_device_seq on t (device_id, seq)');
    const text = `insert into t (${COLUMNS.join(',')}) values ${valuesClause(BATCH, (n) => `$${n}`)} on conflict do nothing`;
    const t0 = performance.now();
    for (let i = 0; i < ROWS; i += BATCH)
      await client.query(text, Array.from({ length: BATCH }, (_, r) => rawRow(i + r)).flat());
    return ROWS / ((performance.now() - t0) / 1000);
  } finally {
    await client.end();
  }
}

const server = await startPostgres();
try {
  const trials: Record<string, number[]> = { sqlite: [], postgres: [], rawSqlite: [], rawPostgres: [] };
  for (let t = 0; t < TRIALS; t++) {
    trials.rawSqlite?.push(rawSqliteRate());
    trials.rawPostgres?.push(await rawPgRate(await server.createDatabase()));
    trials.sqlite?.push(await controlPlaneRate({ kind: 'sqlite' }));
    trials.postgres?.push(await controlPlaneRate({ kind: 'postgres', url: await server.createDatabase() }));
  }
  const rate = Object.fromEntries(Object.entries(trials).map(([k, v]) => [k, Math.round(median(v))]));
  const report = {
    benchmark: 'ingest-db',
    at: new Date().toISOString(),
    node: process.version,
    windows: ROWS,
    windowsPerMessage: WINDOWS_PER_MESSAGE,
    devices: DEVICES,
    trials: TRIALS,
    windowsPerSecond: rate,
    ratioToRaw: {
      sqlite: Number(((rate.sqlite ?? 0) / (rate.rawSqlite ?? 1)).toFixed(3)),
      postgres: Number(((rate.postgres ?? 0) / (rate.rawPostgres ?? 1)).toFixed(3)),
    },
    allTrials: trials,
  };
  const dir = join(import.meta.dirname, '../../bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ingest-db.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  await server.stop();
}
