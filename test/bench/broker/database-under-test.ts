/**
 * How a benchmark replica's database is opened — the pluggable part of the broker ingest benchmark, so the
 * PostgreSQL mode can be measured by adding one entry. SQLite: every replica opens the same file in the
 * shared data directory (one writer at a time, which is what limits two replicas).
 */
import type { ControlPlaneOptions } from '@edgefleet/control-plane';

export interface DatabaseUnderTest {
  readonly name: string;
  /** Extra control-plane options for a replica whose data directory is `dataDir`. */
  replicaOptions(dataDir: string): Promise<Partial<ControlPlaneOptions>>;
  close(): Promise<void>;
}

export const sqliteFile: DatabaseUnderTest = {
  name: 'sqlite',
  replicaOptions: () => Promise.resolve({}),
  close: () => Promise.resolve(),
};
