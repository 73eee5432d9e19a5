/**
 * Telemetry ingest rate: `publishers` raw devices each publish `messages` telemetry messages at
 * QoS 1, timed from the first publish until every message is ingested (sum of the replicas' counters) and
 * drained. The raw baseline is Mosquitto alone: the same publishers, one plain subscriber counting arrivals.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlane, createControlPlane } from '@edgefleet/control-plane';
import mqtt from 'mqtt';
import {
  apiClient,
  type DeviceCredentials,
  enrolRawDevice,
  type Mosquitto,
  publishTelemetry,
  startMosquitto,
} from '../../src/index.js';
import type { DatabaseUnderTest } from './database-under-test.js';

export interface Load {
  readonly publishers: number;
  readonly messages: number;
  readonly trials: number;
}

export interface Rate {
  readonly label: string;
  readonly trialsMsgPerSec: number[];
  readonly medianMsgPerSec: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function rate(label: string, trials: number[]): Rate {
  return { label, trialsMsgPerSec: trials.map(Math.round), medianMsgPerSec: Math.round(median(trials)) };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

async function enrolAll(cp: ControlPlane, n: number): Promise<DeviceCredentials[]> {
  const api = apiClient(cp.httpUrl, cp.adminToken);
  const devices: DeviceCredentials[] = [];
  for (let i = 0; i < n; i++) devices.push(await enrolRawDevice(api, `bench-dev-${i}`));
  return devices;
}

async function timeIngest(replicas: readonly ControlPlane[], devices: DeviceCredentials[], load: Load) {
  const ingested = () => replicas.reduce((n, cp) => n + (cp.metrics.snapshot().messagesByKind.telemetry ?? 0), 0);
  const trials: number[] = [];
  for (let t = 0; t < load.trials; t++) {
    const before = ingested();
    const start = performance.now();
    await publishTelemetry(devices, { perDevice: load.messages, firstSeq: t * load.messages });
    await until(() => ingested() - before >= load.publishers * load.messages);
    await Promise.all(replicas.map((cp) => cp.drain()));
    trials.push((load.publishers * load.messages) / ((performance.now() - start) / 1000));
  }
  return trials;
}

/** Raw Mosquitto pub → sub, no control plane (devices enrolled by a control plane that is then closed). */
export async function rawMosquitto(load: Load): Promise<Rate> {
  const mosquitto = await startMosquitto();
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-bench-raw-'));
  try {
    const cp = await createControlPlane({ dataDir: dir, broker: external(mosquitto) });
    const devices = await enrolAll(cp, load.publishers);
    await cp.close();
    const subscriber = await mqtt.connectAsync(mosquitto.url, { ...mosquitto.admin, protocolVersion: 5 });
    subscriber.on('error', (error) => console.warn(`raw subscriber: ${error.message}`));
    let received = 0;
    subscriber.on('message', () => received++);
    await subscriber.subscribeAsync('ef/v1/+/telemetry', { qos: 1 });
    const trials: number[] = [];
    for (let t = 0; t < load.trials; t++) {
      const before = received;
      const start = performance.now();
      await publishTelemetry(devices, { perDevice: load.messages, firstSeq: t * load.messages });
      await until(() => received - before >= load.publishers * load.messages);
      trials.push((load.publishers * load.messages) / ((performance.now() - start) / 1000));
    }
    await subscriber.endAsync();
    return rate('raw Mosquitto pub→sub (no control plane)', trials);
  } finally {
    await mosquitto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function external(mosquitto: Mosquitto) {
  return { kind: 'external' as const, url: mosquitto.url, ...mosquitto.admin };
}

/** One embedded control plane (aedes in-process). */
export async function embedded(load: Load, database: DatabaseUnderTest): Promise<Rate> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-bench-embedded-'));
  const cp = await createControlPlane({ dataDir: dir, ...(await database.replicaOptions(dir)) });
  try {
    const devices = await enrolAll(cp, load.publishers);
    return rate(`embedded aedes, 1 control plane, ${database.name}`, await timeIngest([cp], devices, load));
  } finally {
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `replicas` control planes sharing one data directory on one Mosquitto. */
export async function mosquittoReplicas(load: Load, database: DatabaseUnderTest, replicas: number): Promise<Rate> {
  const mosquitto = await startMosquitto();
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-bench-replicas-'));
  const cps: ControlPlane[] = [];
  try {
    for (let i = 0; i < replicas; i++) {
      const adminToken = cps[0]?.adminToken;
      cps.push(
        await createControlPlane({
          dataDir: dir,
          broker: external(mosquitto),
          ...(adminToken === undefined ? {} : { adminToken }),
          ...(await database.replicaOptions(dir)),
        }),
      );
    }
    const devices = await enrolAll(cps[0] as ControlPlane, load.publishers);
    const label = `Mosquitto, ${replicas} control-plane replica${replicas > 1 ? 's' : ''}, ${database.name}`;
    return rate(label, await timeIngest(cps, devices, load));
  } finally {
    for (const cp of cps) await cp.close();
    await mosquitto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
