/**
 * Raw PostgreSQL insert rate of telemetry-shaped rows (the telemetry_windows columns: device, seq, line,
 * version, window span, counts, JSON latency, received-at) through plain node-postgres: the database-only
 * baseline of the ingest benchmarks (bench:pg-insert, bench:broker). Each statement is its own
 * autocommit transaction; `rowsPerStatement` rows per statement, on `connections` connections.
 */
import pg from 'pg';

const COLUMNS = 10;

export interface RawInsert {
  /** Rows per second for one case, on a freshly truncated table. */
  rate(options: { rows: number; rowsPerStatement: number; connections: number }): Promise<number>;
  close(): Promise<void>;
}

export async function rawInsert(url: string): Promise<RawInsert> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // The server's shutdown can reach an idle pooled connection after pool.end(); that is not a result.
  pool.on('error', () => {});
  await pool.query(`create table raw_telemetry_windows (
    id bigserial primary key, device_id text not null, seq bigint not null, line text not null,
    version bigint not null, window_start_ms bigint not null, window_end_ms bigint not null,
    count bigint not null, errors bigint not null, latency_ms jsonb not null, received_at bigint not null)`);
  await pool.query('create unique index raw_telemetry_device_seq on raw_telemetry_windows (device_id, seq)');
  let seq = 0;
  const row = (): unknown[] => {
    seq += 1;
    const start = 1_795_441_884_528 + seq;
    return [`dev-${seq % 1000}`, seq, 'iris', 3, start, start + 60_000, 120, 1, '{"p50":1.2,"p95":3.4}', start];
  };
  const statement = (rows: number) => {
    const tuples = Array.from({ length: rows }, (_, r) => {
      const base = r * COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, c) => `$${base + c + 1}`).join(',')})`;
    });
    return `insert into raw_telemetry_windows (device_id, seq, line, version, window_start_ms, window_end_ms, count, errors, latency_ms, received_at) values ${tuples.join(',')}`;
  };
  return {
    async rate({ rows, rowsPerStatement, connections }) {
      await pool.query('truncate raw_telemetry_windows');
      const text = statement(rowsPerStatement);
      const statements = Math.ceil(rows / rowsPerStatement);
      let next = 0;
      const worker = async () => {
        const client = await pool.connect();
        try {
          while (next < statements) {
            next += 1;
            await client.query({
              name: `ins-${rowsPerStatement}`,
              text,
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
    },
    close: () => pool.end(),
  };
}
