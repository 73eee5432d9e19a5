/**
 * Resource-aware installs end to end: a device whose disk is nearly full refuses a rollout
 * before fetching a byte and says why — the control plane stores an `install-failed` event with
 * INSUFFICIENT_STORAGE and the numbers — while the device keeps serving its current model.
 */
import type { SystemStats } from '@edgefleet/agent';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { expectStatus, type Fleet, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';

const iris = buildIrisModels();
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('resource-aware installs', () => {
  it('refuses a bundle that does not fit the disk, reports INSUFFICIENT_STORAGE and keeps serving', async () => {
    fleet = await startFleet();
    const disk = { freeBytes: 10 * 1024 * 1024 * 1024 };
    const stats: SystemStats = {
      freeDiskBytes: async () => disk.freeBytes,
      availableMemoryBytes: () => 4 * 1024 * 1024 * 1024,
    };
    const agent = await fleet.addAgent({ overrides: { systemStats: stats } });
    await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
    await rolloutAndWait(fleet, { line: 'iris', version: 1 });
    // The SD card fills up: less than the 64 MiB reserve is left.
    disk.freeBytes = 20 * 1024 * 1024;
    const v2 = await registerModel(fleet.api, { line: 'iris', model: iris.int8, sampleInputs: iris.meta.sampleInputs });
    expectStatus(
      await fleet.api.post('/v1/rollouts', { line: 'iris', version: v2.version, group: 'lab' }),
      201,
      'rollout',
    );
    const failed = await waitFor(
      async () =>
        (
          await fleet!.api.get<
            Array<{ kind: string; version: number; error: { code: string; message: string } | null }>
          >(`/v1/devices/${agent.deviceId}/events`)
        ).body.find((e) => e.kind === 'install-failed' && e.version === v2.version),
      { what: 'the refusal to reach the control plane' },
    );
    expect(failed.error?.code).toBe('INSUFFICIENT_STORAGE');
    expect(failed.error?.message).toMatch(/needs .* MiB of disk .* 20 MiB free/);
    expect(fleet.cp.metrics.snapshot().chunksServedByDevice[agent.deviceId] ?? 0).toBe(
      Math.ceil(iris.fp32.length / 65_536),
    );
    expect(agent.installed().map((m) => m.version)).toEqual([1]);
    expect((await agent.predict('iris', [iris.meta.sampleInputs[0] as number[]])).version).toBe(1);
  });
});
