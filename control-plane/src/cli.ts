/**
 * The `edgefleet-control-plane` command: starts a control plane from flags, prints where to reach it and
 * what agents must pin, and shuts down gracefully on SIGINT/SIGTERM. State lives in the SQLite file under
 * --data-dir unless a PostgreSQL URL is given — preferably in EDGEFLEET_DATABASE_URL, since a URL may carry a
 * password and argv is readable by every local user; --database-url is accepted too. The URL is never printed.
 */
import { parseArgs } from 'node:util';
import { createControlPlane } from './control-plane.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.data/control-plane' },
    'http-port': { type: 'string', default: '8080' },
    'mqtt-port': { type: 'string', default: '1883' },
    host: { type: 'string', default: '127.0.0.1' },
    'database-url': { type: 'string' },
  },
});

function port(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    console.error(`--${flag} must be a port number (0-65535), got ${value}`);
    process.exit(2);
  }
  return n;
}

const dataDir = values['data-dir'];
const databaseUrl = process.env.EDGEFLEET_DATABASE_URL ?? values['database-url'];
if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
  console.error('the database URL must start with postgres:// or postgresql://');
  process.exit(2);
}
const cp = await createControlPlane({
  dataDir,
  ...(databaseUrl === undefined ? {} : { database: { kind: 'postgres' as const, url: databaseUrl } }),
  host: values.host,
  httpPort: port('http-port', values['http-port']),
  mqttPort: port('mqtt-port', values['mqtt-port']),
});

console.log(`edgefleet control plane
  HTTP:        ${cp.httpUrl}
  MQTT:        ${cp.mqttUrl}
  database:    ${databaseUrl === undefined ? `SQLite ${dataDir}/edgefleet.db` : 'PostgreSQL (URL not shown)'}
  admin token: ${dataDir}/admin-token (unless given explicitly)
  root keys:   ${cp.rootPublicKeysHex.join(', ')}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    cp.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed', error);
        process.exit(1);
      },
    );
  });
}
