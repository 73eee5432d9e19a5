import { decodeCbor, desiredBodySchema, desiredMessageSchema, encodeCbor } from '@edgefleet/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';
import { inbox, telemetryMessage } from './helpers/device-messages.js';
import { connectDevice, deviceClients, type MqttClient } from './helpers/mqtt.js';

let f: Fixture | undefined;
const devices = deviceClients();
afterEach(async () => {
  await devices.closeAll();
  await f?.close();
  f = undefined;
});

const MCU_HARDWARE = { platform: 'mcu', arch: 'cortex-m4', cpus: 1, memoryBytes: 16_384, profile: 'emu-m4' };

function reportedMessage(hardware = MCU_HARDWARE): Uint8Array {
  return encodeCbor({
    v: 1,
    type: 'reported',
    ts: Date.now(),
    agentVersion: 'fw-1.0.0',
    desiredSeq: null,
    installed: [],
    install: null,
    lastError: null,
    hardware,
    runtimes: ['mcu-int8'],
  });
}

interface Listed {
  deviceId: string;
  parentId: string | null;
  group: string;
  tags: string[];
  online: boolean;
}

interface Detail {
  reported: Record<string, unknown> | null;
  desired: { assignments: unknown[] } | null;
}

async function detail(fixture: Fixture, deviceId: string): Promise<Detail> {
  return (await (await fixture.request('GET', `/v1/devices/${deviceId}`)).json()) as Detail;
}

async function listed(fixture: Fixture): Promise<Listed[]> {
  return (await (await fixture.request('GET', '/v1/devices')).json()) as Listed[];
}

async function gateway(fixture: Fixture, deviceId: string): Promise<MqttClient> {
  return devices.online(await fixture.enrol({ deviceId, tags: ['site-a'] }));
}

describe('child devices behind a gateway (DESIGN.md §6)', () => {
  it("registers a child on its gateway's first message, with the gateway as parent and its group and tags", async () => {
    f = await startFixture();
    const gw = await gateway(f, 'gw-1');
    await gw.publishAsync('ef/v1/gw-1/bridge/mcu-1/reported', Buffer.from(reportedMessage()), { qos: 1 });
    await gw.publishAsync('ef/v1/gw-1/bridge/mcu-1/telemetry', Buffer.from(telemetryMessage([1])), { qos: 1 });
    await f.cp.drain();
    const child = (await listed(f)).find((d) => d.deviceId === 'gw-1--mcu-1');
    expect(child).toMatchObject({ parentId: 'gw-1', group: 'lab', tags: ['site-a'], online: true });
    expect((await listed(f)).find((d) => d.deviceId === 'gw-1')?.parentId).toBeNull();
    expect((await detail(f, 'gw-1--mcu-1')).reported).toMatchObject({
      agentVersion: 'fw-1.0.0',
      hardware: MCU_HARDWARE,
    });
    expect(await f.telemetry('gw-1--mcu-1')).toHaveLength(1);
  });

  it("signs desired state for the child and publishes it on the gateway's bridge topic, late children included", async () => {
    f = await startFixture();
    const gw = await gateway(f, 'gw-1');
    const desired = inbox(gw, null, (payload) => decodeCbor(payload, desiredMessageSchema));
    await gw.subscribeAsync(['ef/v1/gw-1/bridge/mcu-1/desired', 'ef/v1/gw-1/bridge/mcu-2/desired'], { qos: 1 });
    await gw.publishAsync('ef/v1/gw-1/bridge/mcu-1/reported', Buffer.from(reportedMessage()), { qos: 1 });
    await f.cp.drain();
    expect((await f.registerIris()).status).toBe(201);
    const rollout = await f.request('POST', '/v1/rollouts', {
      json: { line: 'iris', version: 1, selector: { hardwareProfile: 'emu-m4' }, waves: [{ percent: 100 }] },
    });
    expect(rollout.status).toBe(201);
    await gw.publishAsync('ef/v1/gw-1/bridge/mcu-2/reported', Buffer.from(reportedMessage()), { qos: 1 });
    await vi.waitFor(() => expect(desired).toHaveLength(2), { timeout: 10_000 });
    const addressees = desired.map((m) => decodeCbor(m.doc.body, desiredBodySchema).deviceId).sort();
    expect(addressees).toEqual(['gw-1--mcu-1', 'gw-1--mcu-2']);
    expect((await detail(f, 'gw-1--mcu-2')).desired?.assignments).toEqual([{ line: 'iris', version: 1 }]);
    // The gateway itself runs no MCU and was not targeted.
    expect((await detail(f, 'gw-1')).desired).toBeNull();
  });

  it("refuses a gateway writing another gateway's children, and children logging in to the broker", async () => {
    f = await startFixture();
    await gateway(f, 'gw-1');
    const other = await gateway(f, 'gw-2');
    other.publish('ef/v1/gw-1/bridge/mcu-1/reported', Buffer.from(reportedMessage()), { qos: 0 });
    await vi.waitFor(() => expect(f?.cp.metrics.snapshot().rejectionsByCode.TOPIC_FORBIDDEN).toBe(1), {
      timeout: 5000,
    });
    expect((await listed(f)).map((d) => d.deviceId)).toEqual(['gw-1', 'gw-2']);
    const url = f.cp.mqttUrl;
    await expect(connectDevice({ url, deviceId: 'gw-1--mcu-1', password: 'x' })).rejects.toThrow(/bad user ?name/i);
    const refused = await f.request('POST', '/v1/enrolment-tokens', { json: { group: 'lab' } });
    const { token } = (await refused.json()) as { token: string };
    const enrol = await f.request('POST', '/v1/enrol', { token: null, json: { token, deviceId: 'gw-1--mcu-1' } });
    expect(enrol.status).toBe(400);
  });

  it('caps the children of one gateway and takes them offline with it', async () => {
    f = await startFixture({ maxChildrenPerGateway: 1 });
    const gw = await gateway(f, 'gw-1');
    await gw.publishAsync('ef/v1/gw-1/bridge/mcu-1/reported', Buffer.from(reportedMessage()), { qos: 1 });
    await gw.publishAsync('ef/v1/gw-1/bridge/mcu-2/reported', Buffer.from(reportedMessage()), { qos: 1 });
    await f.cp.drain();
    expect(f.cp.metrics.snapshot().rejectionsByCode.CONFLICT).toBe(1);
    expect((await listed(f)).map((d) => d.deviceId)).toEqual(['gw-1', 'gw-1--mcu-1']);
    await gw.endAsync();
    await vi.waitFor(async () => expect((await listed(f!)).map((d) => d.online)).toEqual([false, false]), {
      timeout: 5000,
    });
  });

  it('registers no child for a payload that does not decode', async () => {
    f = await startFixture();
    const gw = await gateway(f, 'gw-1');
    for (let i = 0; i < 20; i++) {
      await gw.publishAsync(`ef/v1/gw-1/bridge/junk-${i}/telemetry`, Buffer.from([0xff, i, 0x00]), { qos: 1 });
      await gw.publishAsync(`ef/v1/gw-1/bridge/odd-${i}/reported`, Buffer.from(encodeCbor({ v: 1, no: i })), {
        qos: 1,
      });
    }
    await f.cp.drain();
    expect((await listed(f)).map((d) => d.deviceId)).toEqual(['gw-1']);
    const refused = f.cp.metrics.snapshot().rejectionsByCode;
    expect((refused.CBOR_MALFORMED ?? 0) + (refused.SCHEMA_INVALID ?? 0)).toBe(40);
    // The first message that decodes registers the child.
    await gw.publishAsync('ef/v1/gw-1/bridge/junk-0/reported', Buffer.from(reportedMessage()), { qos: 1 });
    await f.cp.drain();
    expect((await listed(f)).map((d) => d.deviceId)).toEqual(['gw-1', 'gw-1--junk-0']);
  });
});
