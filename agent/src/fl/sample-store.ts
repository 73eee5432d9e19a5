/**
 * The device's local training data for federated learning (DESIGN.md §4 FL client): labelled samples per model
 * line in a SQLite file, the same conventions as the telemetry outbox (WAL, prepared statements, counts kept in
 * memory). Samples never leave the device — only the trainer reads them. Each line is bounded: past `maxRows`
 * the oldest samples are dropped and counted in a persisted per-line counter, so a chatty sensor cannot fill
 * the disk and the loss is visible. A line's feature width is fixed by its first sample; rows of another width
 * are rejected whole (SAMPLES_INVALID), never half-stored.
 */
import { modelLineSchema } from '@edgefleet/protocol';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { AgentError } from '../errors.js';

export interface LabelledSample {
  readonly features: readonly number[];
  readonly label: number;
}

export interface LineSamples {
  /** n × featureCount, row-major, oldest sample first. */
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
  /** 0 when the line has no samples. */
  readonly featureCount: number;
}

export interface SampleStore {
  /** Stores the rows in one transaction; returns how many old samples had to make room. */
  add(line: string, rows: readonly LabelledSample[]): { added: number; dropped: number };
  count(line: string): number;
  read(line: string): LineSamples;
  /** Samples dropped so far to stay under `maxRows`, persisted across restarts. */
  dropped(line: string): number;
  close(): void;
}

export interface SampleStoreOptions {
  readonly path: string;
  /** Per model line. */
  readonly maxRows: number;
  /** Widest sample accepted; a 28×28 image is 784. */
  readonly maxFeatures?: number;
}

export const DEFAULTS = Object.freeze({ maxFeatures: 65_536 });

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS fl_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    line TEXT NOT NULL,
    features BLOB NOT NULL,
    label INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS fl_samples_line_id ON fl_samples (line, id);
  CREATE TABLE IF NOT EXISTS fl_sample_lines (
    line TEXT PRIMARY KEY,
    feature_count INTEGER NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0
  );
`;

type StoreState = 'open' | 'closed';

export function createSampleStore(options: SampleStoreOptions): SampleStore {
  if (!Number.isInteger(options.maxRows) || options.maxRows < 1) {
    throw new AgentError('INTERNAL', `sample store maxRows must be a positive integer, got ${options.maxRows}`);
  }
  const maxFeatures = options.maxFeatures ?? DEFAULTS.maxFeatures;
  const rowsSchema = z
    .array(
      z.object({
        features: z.array(z.number()).min(1).max(maxFeatures),
        label: z.int().min(0).max(0x7fff_ffff),
      }),
    )
    .min(1);
  const db = new Database(options.path);
  // Same durability trade-off as the outbox: WAL + NORMAL never corrupts, a crash may lose the last appends.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);

  const insert = db.prepare<[string, Uint8Array, number]>(
    'INSERT INTO fl_samples (line, features, label) VALUES (?, ?, ?)',
  );
  const selectLine = db.prepare<[string], { feature_count: number; dropped: number }>(
    'SELECT feature_count, dropped FROM fl_sample_lines WHERE line = ?',
  );
  const insertLine = db.prepare<[string, number]>('INSERT INTO fl_sample_lines (line, feature_count) VALUES (?, ?)');
  const dropOldest = db.prepare<[string, number]>(
    'DELETE FROM fl_samples WHERE id IN (SELECT id FROM fl_samples WHERE line = ? ORDER BY id LIMIT ?)',
  );
  const addDropped = db.prepare<[number, string]>('UPDATE fl_sample_lines SET dropped = dropped + ? WHERE line = ?');
  const countLine = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM fl_samples WHERE line = ?');
  const selectSamples = db.prepare<[string], { features: Uint8Array; label: number }>(
    'SELECT features, label FROM fl_samples WHERE line = ? ORDER BY id',
  );

  const counts = new Map<string, number>();
  let state: StoreState = 'open';

  function assertOpen(): void {
    if (state === 'closed') throw new AgentError('INVALID_TRANSITION', 'sample store is closed');
  }

  function parseLine(line: string): string {
    const parsed = modelLineSchema.safeParse(line);
    if (!parsed.success) throw new AgentError('SAMPLES_INVALID', `invalid model line ${JSON.stringify(line)}`);
    return parsed.data;
  }

  function countOf(line: string): number {
    let n = counts.get(line);
    if (n === undefined) {
      n = countLine.get(line)?.n ?? 0;
      counts.set(line, n);
    }
    return n;
  }

  const addTx = db.transaction((line: string, rows: readonly LabelledSample[], before: number) => {
    let featureCount = selectLine.get(line)?.feature_count;
    if (featureCount === undefined) {
      featureCount = (rows[0] as LabelledSample).features.length;
      insertLine.run(line, featureCount);
    }
    const width = featureCount;
    const bad = rows.findIndex((row) => row.features.length !== width);
    if (bad >= 0) {
      throw new AgentError(
        'SAMPLES_INVALID',
        `sample ${bad} has ${rows[bad]?.features.length} features, line ${line} has ${width}`,
        {
          details: { line, index: bad, featureCount: width },
        },
      );
    }
    for (const row of rows) {
      const bytes = new Uint8Array(Float32Array.from(row.features).buffer);
      insert.run(line, bytes, row.label);
    }
    const excess = before + rows.length - options.maxRows;
    if (excess > 0) {
      dropOldest.run(line, excess);
      addDropped.run(excess, line);
    }
    return { added: rows.length, dropped: Math.max(0, excess) };
  });

  return {
    add(line, rows) {
      assertOpen();
      const name = parseLine(line);
      const parsed = rowsSchema.safeParse(rows);
      if (!parsed.success) {
        throw new AgentError('SAMPLES_INVALID', `invalid samples: ${z.prettifyError(parsed.error)}`, {
          details: { line: name },
        });
      }
      const before = countOf(name);
      const result = addTx(name, parsed.data, before);
      counts.set(name, before + result.added - result.dropped);
      return result;
    },
    count(line) {
      assertOpen();
      return countOf(parseLine(line));
    },
    read(line) {
      assertOpen();
      const name = parseLine(line);
      const featureCount = selectLine.get(name)?.feature_count ?? 0;
      const rows = selectSamples.all(name);
      const x = new Float32Array(rows.length * featureCount);
      const y = new Int32Array(rows.length);
      rows.forEach((row, i) => {
        // A file on disk is a boundary too: a blob of the wrong size means the file was damaged or edited.
        if (row.features.byteLength !== featureCount * 4) {
          throw new AgentError('SAMPLES_INVALID', `stored sample ${i} of line ${name} has a corrupt feature blob`);
        }
        // Copy out of the driver's Buffer: its byteOffset need not be 4-byte aligned for a Float32Array view.
        const start = row.features.byteOffset;
        x.set(new Float32Array(row.features.buffer.slice(start, start + row.features.byteLength)), i * featureCount);
        y[i] = row.label;
      });
      return { x, y, n: rows.length, featureCount };
    },
    dropped(line) {
      assertOpen();
      return selectLine.get(parseLine(line))?.dropped ?? 0;
    },
    close() {
      if (state === 'closed') return;
      state = 'closed';
      db.close();
    },
  };
}

/**
 * A store opened on first use: most devices never collect samples (no FL round offers them training), so
 * their agents do not pay for a database, its schema and its statements at start-up.
 */
export function lazySampleStore(open: () => SampleStore): SampleStore {
  let store: SampleStore | null = null;
  let closed = false;
  const opened = (): SampleStore => {
    if (closed) throw new AgentError('INVALID_TRANSITION', 'sample store is closed');
    store ??= open();
    return store;
  };
  return {
    add: (line, rows) => opened().add(line, rows),
    count: (line) => opened().count(line),
    read: (line) => opened().read(line),
    dropped: (line) => opened().dropped(line),
    close() {
      closed = true;
      store?.close();
    },
  };
}
