/**
 * `pnpm bench:broker`: telemetry ingest rate — raw Mosquitto pub→sub as the baseline, the embedded
 * aedes control plane, and 1 and 2 control-plane replicas on Mosquitto — for every database under test;
 * writes bench-results/broker-ingest.json with each rate's ratio to the raw baseline of the same run, and for
 * PostgreSQL also to its raw batched insert rate (bench/pg/raw-insert.ts) measured on the same server.
 * Environment: BENCH_PUBLISHERS (8), BENCH_MESSAGES per publisher (1000), BENCH_TRIALS (3; the median counts),
 * BENCH_DATABASES (sqlite,postgres).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DatabaseUnderTest, postgresServer, sqliteFile } from './broker/database-under-test.js';
import { embedded, type Load, mosquittoReplicas, type Rate, rawMosquitto } from './broker/ingest-rate.js';

const load: Load = {
  publishers: Number(process.env.BENCH_PUBLISHERS ?? 8),
  messages: Number(process.env.BENCH_MESSAGES ?? 1000),
  trials: Number(process.env.BENCH_TRIALS ?? 3),
};
// BENCH_DATABASES=sqlite,postgres (default both): PostgreSQL runs on a throw-away server (test-kit/src/postgres.ts).
const wanted = (process.env.BENCH_DATABASES ?? 'sqlite,postgres').split(',');
const databases: DatabaseUnderTest[] = [
  ...(wanted.includes('sqlite') ? [sqliteFile] : []),
  ...(wanted.includes('postgres') ? [await postgresServer()] : []),
];

// Quiet control planes: a log line per message would measure pino, not ingest.
process.env.EDGEFLEET_LOG_LEVEL ??= 'warn';
const raw = await rawMosquitto(load);
const rates: (Rate & { database: string })[] = [];
const databaseBaselines: { database: string; rows: number; rowsPerSec: number }[] = [];
for (const database of databases) {
  const rows = load.publishers * load.messages;
  if (database.rawRowsPerSec !== undefined) {
    databaseBaselines.push({
      database: database.name,
      rows,
      rowsPerSec: Math.round(await database.rawRowsPerSec(rows)),
    });
  }
  for (const measure of [
    () => embedded(load, database),
    () => mosquittoReplicas(load, database, 1),
    () => mosquittoReplicas(load, database, 2),
  ]) {
    rates.push({ database: database.name, ...(await measure()) });
  }
  await database.close();
}

const report = {
  benchmark: 'broker-ingest',
  at: new Date().toISOString(),
  node: process.version,
  load,
  baseline: raw,
  // One telemetry message is one stored row: the database's raw batched insert rate bounds its replicas.
  databaseBaselines,
  candidates: rates.map((r) => {
    const database = databaseBaselines.find((b) => b.database === r.database);
    return {
      ...r,
      ratioToRaw: Math.round((r.medianMsgPerSec / raw.medianMsgPerSec) * 1000) / 1000,
      ...(database === undefined
        ? {}
        : { ratioToDatabaseRaw: Math.round((r.medianMsgPerSec / database.rowsPerSec) * 1000) / 1000 }),
    };
  }),
};
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'broker-ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
