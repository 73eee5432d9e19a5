/**
 * Nothing acknowledged before it is durable: a device publishes telemetry windows at QoS 1 with many in
 * flight while the control plane (the real binary, embedded broker, SQLite) is killed with SIGKILL at a
 * random moment; after each restart every window the device saw PUBACKed must be stored. Trials are
 * seeded; DURABILITY_TRIALS changes their number.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceTopic, mulberry32 } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  type ControlPlaneProcess,
  connectAs,
  type DeviceCredentials,
  enrolRawDevice,
  freePort,
  startControlPlaneProcess,
  telemetryMessage,
} from '../src/index.js';

const TRIALS = Number(process.env.DURABILITY_TRIALS ?? 50);
const IN_FLIGHT = 16;

describe('telemetry is acknowledged only once stored', () => {
  let dir: string;
  let cp: ControlPlaneProcess | undefined;
  let args: string[];

  const start = async () => {
    cp = await startControlPlaneProcess({ args, env: { EDGEFLEET_LOG_LEVEL: 'error' } });
    return cp;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-durability-'));
    args = [
      '--data-dir',
      join(dir, 'cp'),
      '--http-port',
      String(await freePort()),
      '--mqtt-port',
      String(await freePort()),
    ];
  });
  afterAll(async () => {
    await cp?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it(
    `loses no acknowledged window over ${TRIALS} kill -9 trials during ingest`,
    async () => {
      const first = await start();
      const token = (await readFile(join(dir, 'cp', 'admin-token'), 'utf8')).trim();
      let api: ApiClient = apiClient(first.httpUrl, token);
      const device: DeviceCredentials = await enrolRawDevice(api, 'durable-1');
      const topic = deviceTopic(device.deviceId, 'telemetry');
      const random = mulberry32(2026);
      let seq = 0;
      let acked = 0;
      let missing: number[] = [];
      for (let trial = 0; trial < TRIALS && missing.length === 0; trial++) {
        const client = await connectAs(device);
        const ackedNow: number[] = [];
        let stop = false;
        const publisher = async () => {
          while (!stop) {
            const s = ++seq;
            try {
              await client.publishAsync(topic, Buffer.from(telemetryMessage(s)), { qos: 1 });
              ackedNow.push(s);
            } catch {
              return; // the connection went with the control plane
            }
          }
        };
        const publishers = Array.from({ length: IN_FLIGHT }, publisher);
        await new Promise((resolve) => setTimeout(resolve, 30 + Math.floor(random() * 150)));
        await cp?.kill('SIGKILL');
        stop = true;
        client.end(true);
        await Promise.all(publishers);
        acked += ackedNow.length;
        api = apiClient((await start()).httpUrl, token);
        const stored = new Set(
          ((await api.get(`/v1/devices/${device.deviceId}/telemetry?limit=1000`)).body as { seq: number }[]).map(
            (w) => w.seq,
          ),
        );
        missing = ackedNow.filter((s) => !stored.has(s));
      }
      expect(missing).toEqual([]);
      expect(acked).toBeGreaterThan(TRIALS * 10);
    },
    10_000 + TRIALS * 8_000,
  );
});
