/**
 * A throw-away PostgreSQL server for tests and benchmarks: `initdb` into a temp dir, `postgres` on a free
 * port with its unix socket in the same dir, trust authentication, fsync off (the data dies with the test).
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (`runuser`, the dir chowned to
 * it). Binaries come from Debian's postgresql package (installed by .ci/run when missing). `stop()` shuts the
 * server down (fast shutdown) and removes the dir.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export const POSTGRES_BIN_DIR = process.env.EDGEFLEET_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  /** Connection URL of the `postgres` database as the superuser. */
  readonly url: string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** `pg_terminate_backend` for each pid: the connection drops as if the network had cut it. */
  terminateBackends(pids: readonly number[]): Promise<void>;
  stop(): Promise<void>;
}

export function postgresAvailable(): boolean {
  return existsSync(join(POSTGRES_BIN_DIR, 'postgres'));
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ef-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const command = (bin: string, args: string[]) =>
    asRoot
      ? (['runuser', ['-u', 'postgres', '--', join(POSTGRES_BIN_DIR, bin), ...args]] as const)
      : ([join(POSTGRES_BIN_DIR, bin), args] as const);
  const dataDir = join(dir, 'data');
  const [initCmd, initArgs] = command('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [cmd, args] = command('postgres', [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on('error', () => {});
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited: ${stderr}`);
        await admin.query('select 1');
        return true;
      },
      { what: 'postgres to accept connections', timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let databases = 0;
  return {
    url,
    async createDatabase() {
      databases += 1;
      const name = `ef_${process.pid}_${databases}`;
      await admin.query(`create database ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async query(sql, params) {
      return (await admin.query(sql, params)).rows;
    },
    async terminateBackends(pids) {
      for (const pid of pids) await admin.query('select pg_terminate_backend($1)', [pid]);
    },
    async stop() {
      await admin.end().catch(() => {});
      // runuser does not forward every signal; signal the postmaster itself (SIGINT = fast shutdown).
      const pidFile = join(dataDir, 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : child.pid;
      if (pid !== undefined && child.exitCode === null) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
