/**
 * The `edgefleet-control-plane` command: starts a control plane from flags, prints where to reach it and
 * what agents must pin, and shuts down gracefully on SIGINT/SIGTERM. With `--broker-url` it joins an external
 * Mosquitto instead of starting the embedded broker; the broker password comes from the environment
 * (EDGEFLEET_BROKER_PASSWORD), never from argv, where every local user could read it. State lives in the
 * SQLite file under --data-dir unless a PostgreSQL URL is given — preferably in EDGEFLEET_DATABASE_URL, since a
 * URL may carry a password; --database-url is accepted too. The URL is never printed.
 */
import { parseArgs } from 'node:util';
import type { BrokerOption } from './broker/start-broker.js';
import { createControlPlane } from './control-plane.js';
import { ControlPlaneError } from './errors.js';

const USAGE = `usage: edgefleet-control-plane [options]

Starts a control plane: HTTP API, dashboard (/ui), MQTT broker (embedded, or an external Mosquitto) and
the database (SQLite under --data-dir, or PostgreSQL).

  --data-dir <dir>            state: SQLite file, keys, admin token, bundles (default .data/control-plane)
  --host <address>            address to listen on (default 127.0.0.1)
  --http-port <port>          HTTP API port (default 8080; 0 picks a free one)
  --mqtt-port <port>          embedded broker port (default 1883; 0 picks a free one)
  --broker-url <url>          join this Mosquitto instead of embedding a broker (mqtt://host:port)
  --broker-username <name>    its dynamic-security admin; the password in EDGEFLEET_BROKER_PASSWORD
  --broker-device-url <url>   the broker URL handed to devices, when it differs from --broker-url
  --broker-client-id <id>     this replica's MQTT session (default edgefleet-cp-<hostname>-<http port>)
  --single-replica            plain instead of shared subscriptions: Mosquitto keeps them across its own
                              restart; only for a control plane that runs without replicas
  --database-url <url>        PostgreSQL (postgres://...); prefer EDGEFLEET_DATABASE_URL, argv is visible
  -h, --help                  this text

Environment: EDGEFLEET_BROKER_PASSWORD, EDGEFLEET_DATABASE_URL, EDGEFLEET_LOG_LEVEL (default info).`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        'data-dir': { type: 'string', default: '.data/control-plane' },
        'http-port': { type: 'string', default: '8080' },
        'mqtt-port': { type: 'string', default: '1883' },
        host: { type: 'string', default: '127.0.0.1' },
        'broker-url': { type: 'string' },
        'broker-username': { type: 'string' },
        'broker-device-url': { type: 'string' },
        'broker-client-id': { type: 'string' },
        'single-replica': { type: 'boolean' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const values = parseFlags();
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}

function port(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    console.error(`--${flag} must be a port number (0-65535), got ${value}`);
    process.exit(2);
  }
  return n;
}

function brokerOption(): BrokerOption {
  const url = values['broker-url'];
  if (url === undefined) return { kind: 'embedded' };
  const username = values['broker-username'];
  const password = process.env.EDGEFLEET_BROKER_PASSWORD;
  if (username === undefined || password === undefined) {
    console.error('--broker-url needs --broker-username and the password in EDGEFLEET_BROKER_PASSWORD');
    process.exit(2);
  }
  const deviceUrl = values['broker-device-url'];
  const clientId = values['broker-client-id'];
  return {
    kind: 'external',
    url,
    username,
    password,
    ...(deviceUrl === undefined ? {} : { deviceUrl }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(values['single-replica'] === true ? { sharedSubscriptions: false } : {}),
  };
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
  broker: brokerOption(),
}).catch((error: unknown) => {
  // BROKER_UNAVAILABLE / BROKER_REFUSED: say which, without a stack trace.
  console.error(error instanceof ControlPlaneError ? `${error.code}: ${error.message}` : error);
  process.exit(1);
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
