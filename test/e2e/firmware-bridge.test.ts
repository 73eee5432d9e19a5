import { join } from 'node:path';
import {
  createGateway,
  createMcuEmulator,
  type Gateway,
  type McuEmulator,
  openNullModem,
  type SerialTransport,
} from '@edgefleet/firmware-bridge';
import { buildIrisMcuModel, buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  enrolmentToken,
  expectStatus,
  type Fleet,
  irisStream,
  registerModel,
  startFleet,
  waitFor,
} from '../src/index.js';

const MCUS = ['mcu-1', 'mcu-2', 'mcu-3'] as const;
const REBOOTING = 'mcu-3';
// 128 hidden units: a ~1.7 KB image, four 512-byte chunks, so a reboot can land in the middle.
const model = buildIrisMcuModel({ hidden: 128 });

describe('firmware bridge: MCUs behind a gateway are fleet members (DESIGN.md §6)', () => {
  let fleet: Fleet | undefined;
  let gateway: Gateway | undefined;
  const emulators: McuEmulator[] = [];
  afterEach(async () => {
    await gateway?.close();
    await Promise.all(emulators.splice(0).map((e) => e.close()));
    await fleet?.close();
    gateway = undefined;
    fleet = undefined;
  });

  it('rolls an mcu-int8 model out to 3 emulated MCUs over 115200-baud mock serial, one rebooting mid-transfer, and their readings reach telemetry and drift', async () => {
    fleet = await startFleet();
    const ports = new Map<string, SerialTransport>();
    for (const [i, mcuId] of MCUS.entries()) {
      const [gatewayEnd, mcuEnd] = await openNullModem({ baudRate: 115_200 });
      ports.set(gatewayEnd.path, gatewayEnd);
      emulators.push(
        createMcuEmulator({
          transport: mcuEnd,
          mcuId,
          board: 'emu-m4',
          readings: { rows: irisStream({ rows: 200, seed: 10 + i }), intervalMs: 40 },
          ...(mcuId === REBOOTING ? { faults: { rebootAtModelBytes: 600 } } : {}),
        }),
      );
    }
    const token = await enrolmentToken(fleet.api, { group: 'lab', tags: ['site-a'] });
    gateway = await createGateway({
      agent: fleet.agentOptions(join(fleet.dir, 'gateway'), { enrolmentToken: token, deviceId: 'gw-1' }),
      ports: [...ports.keys()].map((path) => ({ path, baudRate: 115_200 })),
      openPort: async ({ path }) => ports.get(path) as SerialTransport,
      children: { telemetry: { flushIntervalMs: 200 } },
    });
    const children = await Promise.all(MCUS.map((mcu) => gateway!.child(mcu)));

    // Each MCU is a device of the registry, under its gateway, with the hardware its hello declared.
    const listed = await waitFor(
      async () => {
        const devices = (await fleet!.api.get('/v1/devices')).body as Array<{
          deviceId: string;
          parentId: string | null;
        }>;
        const under = devices.filter((d) => d.parentId === 'gw-1');
        return under.length === 3 && under;
      },
      { what: 'three child devices under gw-1' },
    );
    expect(listed.map((d) => d.deviceId).sort()).toEqual(MCUS.map((m) => `gw-1--${m}`));
    await waitFor(async () => (await fleet!.api.get('/v1/devices/gw-1--mcu-1')).body.reported?.hardware?.profile, {
      what: 'the first child report',
    });

    const registered = await registerModel(fleet.api, {
      line: 'iris-mcu',
      model: model.bytes,
      sampleInputs: model.sampleInputs,
      runtime: 'mcu-int8',
      reference: { rows: irisStream({ rows: 1500, seed: 1 }), featureNames: model.featureNames },
    });
    const rollout = expectStatus(
      await fleet.api.post<{ id: string }>('/v1/rollouts', {
        line: 'iris-mcu',
        version: registered.version,
        selector: { group: 'lab', hardwareProfile: 'emu-m4' },
        waves: [{ percent: 100 }],
        observationMs: 0,
      }),
      201,
      'create the MCU rollout',
    );
    for (const child of children) {
      await waitFor(() => child.agent.installed().some((m) => m.line === 'iris-mcu'), {
        what: `${child.deviceId} to run iris-mcu`,
        timeoutMs: 30_000,
      });
    }
    await waitFor(async () => (await fleet!.api.get(`/v1/rollouts/${rollout.id}`)).body.state === 'completed', {
      what: 'the rollout to complete',
    });
    expect(gateway.agent.installed()).toEqual([]);

    // The rebooting MCU lost power after a flash write and resumed from what it had verified.
    const rebooting = emulators[MCUS.indexOf(REBOOTING)]!;
    expect(rebooting.stats().reboots).toBe(1);
    expect(rebooting.stats().resumedAt[0]).toBeGreaterThanOrEqual(600);
    expect(children.find((c) => c.mcuId === REBOOTING)?.transfers[0]?.resumedAt).toEqual(rebooting.stats().resumedAt);
    for (const emulator of emulators) expect(emulator.stats().imagesCommitted).toBe(1);

    // Readings are answered by each MCU's own model and counted as the child's telemetry and drift.
    await waitFor(() => emulators.every((e) => e.stats().readingsAnswered >= 25), {
      what: 'readings answered by the MCU models',
      timeoutMs: 20_000,
    });
    for (const child of children) await child.agent.flushTelemetry();
    for (const child of children) {
      const windows = await waitFor(
        async () => {
          const r = await fleet!.api.get(`/v1/devices/${child.deviceId}/telemetry`);
          const counted = (r.body as Array<{ line: string; count: number }>).filter((w) => w.line === 'iris-mcu');
          return counted.reduce((sum, w) => sum + w.count, 0) >= 25 && counted;
        },
        { what: `${child.deviceId} inference telemetry` },
      );
      expect(windows.every((w) => w.line === 'iris-mcu')).toBe(true);
    }
    const drift = await waitFor(
      async () => {
        const r = await fleet!.api.get(`/v1/drift/iris-mcu/${registered.version}?cohort=all`);
        const rows = (r.body.windows as Array<{ rows: number }>).reduce((sum, w) => sum + w.rows, 0);
        return r.status === 200 && rows >= 75 && r.body;
      },
      { what: 'drift windows merged across the three MCUs' },
    );
    expect(drift.windows[0].features.map((f: { name: string }) => f.name)).toEqual(model.featureNames);
  });

  it('answers the readings of an MCU without its own model with an ONNX model the gateway runs on its behalf', async () => {
    fleet = await startFleet();
    const [gatewayEnd, mcuEnd] = await openNullModem({ baudRate: 115_200 });
    emulators.push(
      createMcuEmulator({
        transport: mcuEnd,
        mcuId: 'sensor-1',
        board: 'emu-m0',
        ownModel: false,
        readings: { rows: irisStream({ rows: 50, seed: 3 }), intervalMs: 40 },
      }),
    );
    const token = await enrolmentToken(fleet.api, { group: 'lab' });
    gateway = await createGateway({
      agent: fleet.agentOptions(join(fleet.dir, 'gateway'), { enrolmentToken: token, deviceId: 'gw-2' }),
      ports: [{ path: gatewayEnd.path, baudRate: 115_200 }],
      openPort: async () => gatewayEnd,
    });
    const child = await gateway.child('sensor-1');
    await waitFor(
      async () => (await fleet!.api.get(`/v1/devices/${child.deviceId}`)).body.reported?.hardware?.profile,
      {
        what: 'the child report',
      },
    );
    const iris = buildIrisModels();
    const onnx = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
    });
    expectStatus(
      await fleet.api.post('/v1/rollouts', {
        line: 'iris',
        version: onnx.version,
        selector: { hardwareProfile: 'emu-m0' },
        waves: [{ percent: 100 }],
        observationMs: 0,
      }),
      201,
      'create the rollout',
    );
    await waitFor(() => child.agent.installed().some((m) => m.line === 'iris'), { what: 'the child to run iris' });
    await waitFor(() => emulators[0]!.stats().readingsAnswered >= 10, { what: 'readings answered by the gateway' });
    expect(emulators[0]!.stats().inferences).toBe(0);
    await child.agent.flushTelemetry();
    await waitFor(
      async () => {
        const r = await fleet!.api.get(`/v1/devices/${child.deviceId}/telemetry`);
        return (r.body as Array<{ count: number }>).reduce((sum, w) => sum + w.count, 0) >= 10;
      },
      { what: 'the child telemetry' },
    );
  });
});
