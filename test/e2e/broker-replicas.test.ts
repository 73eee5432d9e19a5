/**
 * Two control-plane replicas on one Mosquitto (DESIGN.md §7): their shared subscriptions split the
 * device traffic so every message is ingested by exactly one replica and none is lost, and after a broker
 * restart both resubscribe and split the traffic again. The replicas share one data directory (SQLite file,
 * keys, admin token) — the PostgreSQL mode is the production variant of that.
 */
import { join } from 'node:path';
import { type ControlPlane, createControlPlane } from '@edgefleet/control-plane';
import { deviceTopic } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeviceCredentials,
  enrolRawDevice,
  type Fleet,
  type Mosquitto,
  publishOnce,
  publishTelemetry,
  startFleet,
  startMosquitto,
  waitFor,
} from '../src/index.js';

const DEVICES = 4;
const PER_DEVICE = 50;

describe('control-plane replicas on Mosquitto', () => {
  let mosquitto: Mosquitto;
  let fleet: Fleet;
  let second: ControlPlane;
  let devices: DeviceCredentials[];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    const broker = { kind: 'external' as const, url: mosquitto.url, ...mosquitto.admin };
    fleet = await startFleet({ controlPlane: { broker } });
    second = await createControlPlane({
      dataDir: join(fleet.dir, 'control-plane'),
      adminToken: fleet.cp.adminToken,
      broker,
    });
    devices = [];
    for (let i = 0; i < DEVICES; i++) devices.push(await enrolRawDevice(fleet.api, `replica-dev-${i}`));
  });
  afterAll(async () => {
    await second?.close();
    await fleet?.close();
    await mosquitto?.stop();
  });

  const ingested = (cp: ControlPlane) => cp.metrics.snapshot().messagesByKind.telemetry ?? 0;
  const stored = async () => {
    let rows = 0;
    for (const d of devices) {
      const r = await fleet.api.get<unknown[]>(`/v1/devices/${d.deviceId}/telemetry?limit=1000`);
      rows += r.body.length;
    }
    return rows;
  };

  async function splitsExactlyOnce(firstSeq: number): Promise<void> {
    const before = [ingested(fleet.cp), ingested(second)] as const;
    await publishTelemetry(devices, { perDevice: PER_DEVICE, firstSeq });
    const total = DEVICES * PER_DEVICE;
    await waitFor(() => ingested(fleet.cp) - before[0] + ingested(second) - before[1] >= total, {
      what: `${total} telemetry messages to be ingested`,
    });
    await Promise.all([fleet.cp.drain(), second.drain()]);
    const byReplica = [ingested(fleet.cp) - before[0], ingested(second) - before[1]];
    expect(byReplica[0]! + byReplica[1]!).toBe(total);
    expect(byReplica[0]).toBeGreaterThan(0);
    expect(byReplica[1]).toBeGreaterThan(0);
  }

  it('splits device messages between the replicas, each ingested exactly once, none lost', async () => {
    await splitsExactlyOnce(0);
    expect(await stored()).toBe(DEVICES * PER_DEVICE);
  });

  it('both replicas resubscribe after a broker restart and split the traffic again', async () => {
    await mosquitto.restart();
    // Until a replica has resubscribed, Mosquitto drops what devices publish; probe until both get one.
    const probe = deviceTopic(devices[0]!.deviceId, 'events');
    const seen = (cp: ControlPlane) => cp.metrics.snapshot().messagesByKind.events ?? 0;
    const start = [seen(fleet.cp), seen(second)] as const;
    await waitFor(
      async () => {
        await publishOnce(devices[0]!, { topic: probe, payload: new Uint8Array([0xa0]) });
        return seen(fleet.cp) > start[0] && seen(second) > start[1];
      },
      { what: 'both replicas to receive device messages again', timeoutMs: 15_000, intervalMs: 100 },
    );
    await splitsExactlyOnce(PER_DEVICE);
    expect(await stored()).toBe(2 * DEVICES * PER_DEVICE);
  });
});
