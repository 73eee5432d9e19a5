/**
 * The `edgefleet-control-plane` command: starts a control plane from flags, prints where to reach it and
 * what agents must pin, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createControlPlane } from './control-plane.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.data/control-plane' },
    'http-port': { type: 'string', default: '8080' },
    'mqtt-port': { type: 'string', default: '1883' },
    host: { type: 'string', default: '127.0.0.1' },
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
const cp = await createControlPlane({
  dataDir,
  host: values.host,
  httpPort: port('http-port', values['http-port']),
  mqttPort: port('mqtt-port', values['mqtt-port']),
});

console.log(`edgefleet control plane
  HTTP:        ${cp.httpUrl}
  MQTT:        ${cp.mqttUrl}
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
