/**
 * Which database the control-plane fixtures run on: SQLite in their data directory (default), or — with
 * EDGEFLEET_TEST_DATABASE=postgres (`pnpm test:pg`) — a fresh database on one throw-away PostgreSQL server
 * per test file, the same database again when a test restarts a control plane on the same data directory.
 */
import { type PostgresServer, startPostgres } from '@edgefleet/test-kit';
import { afterAll } from 'vitest';
import type { ControlPlaneOptions } from '../../src/index.js';

const onPostgres = process.env.EDGEFLEET_TEST_DATABASE === 'postgres';
let server: Promise<PostgresServer> | null = null;
const databases = new Map<string, string>();

if (onPostgres) {
  afterAll(async () => {
    await (await server)?.stop();
    server = null;
    databases.clear();
  });
}

export async function testDatabase(dataDir: string): Promise<ControlPlaneOptions['database'] | undefined> {
  if (!onPostgres) return undefined;
  server ??= startPostgres();
  let url = databases.get(dataDir);
  if (url === undefined) {
    url = await (await server).createDatabase();
    databases.set(dataDir, url);
  }
  return { kind: 'postgres', url };
}
