/**
 * External broker mode end to end: real agents enrol against a control plane that is a client of a
 * real Mosquitto, receive the broker's URL and credentials, and install signed models over it; a Mosquitto
 * restart loses nothing the fleet needs (the control plane reconnects, resubscribes and republishes its
 * retained desired state; the agents reconnect). A broker that is down or refuses the control plane's
 * credentials fails start-up with a clear code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane } from '@edgefleet/control-plane';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAs,
  enrolmentToken,
  type Fleet,
  freePort,
  type Mosquitto,
  registerModel,
  rolloutAndWait,
  startFleet,
  startMosquitto,
  waitFor,
} from '../src/index.js';

const iris = buildIrisModels();

describe('external broker mode (Mosquitto)', () => {
  let mosquitto: Mosquitto | undefined;
  let fleet: Fleet | undefined;
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-external-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    await fleet?.close();
    fleet = undefined;
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it('agents enrol, install a model over Mosquitto, and keep receiving rollouts after a broker restart', async () => {
    mosquitto = await startMosquitto();
    fleet = await startFleet({
      agents: 2,
      controlPlane: { broker: { kind: 'external', url: mosquitto.url, ...mosquitto.admin } },
      agent: { backoff: { initialMs: 50, maxMs: 300 } },
    });
    expect(fleet.cp.mqttUrl).toBe(mosquitto.url);
    const v1 = await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
    await rolloutAndWait(fleet, { line: 'iris', version: v1.version });
    const rows = iris.meta.testSet.features.slice(0, 2);
    for (const agent of fleet.agents) expect((await agent.predict('iris', rows)).version).toBe(v1.version);
    // Mosquitto tells no client who connects: the control plane marks a device online by its first message.
    const listed = await fleet.api.get<{ id: string; online: boolean }[]>('/v1/devices');
    expect(listed.body.map((d) => d.online)).toEqual([true, true]);

    await mosquitto.restart();
    const v2 = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.int8,
      sampleInputs: iris.meta.sampleInputs,
      quantization: 'int8',
      atol: 0.05,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: v2.version, timeoutMs: 30_000 });
    for (const agent of fleet.agents) expect((await agent.predict('iris', rows)).version).toBe(v2.version);
  });

  it('an enrolment while Mosquitto is down leaves no device behind, and the same token works once it is back', async () => {
    mosquitto = await startMosquitto();
    fleet = await startFleet({
      controlPlane: { broker: { kind: 'external', url: mosquitto.url, ...mosquitto.admin } },
    });
    const token = await enrolmentToken(fleet.api, { group: 'lab' });
    await mosquitto.down();
    const refused = await fleet.api.post('/v1/enrol', { token, deviceId: 'during-outage' });
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(['BROKER_UNAVAILABLE', 'BROKER_REFUSED']).toContain(refused.body.error.code);
    expect((await fleet.api.get('/v1/devices')).body).toEqual([]);
    await mosquitto.up();
    const enrolled = await waitFor(
      async () => {
        const res = await fleet!.api.post('/v1/enrol', { token, deviceId: 'during-outage' });
        return res.status === 201 ? res.body : undefined;
      },
      { what: 'the enrolment to succeed once Mosquitto is back', timeoutMs: 20_000, intervalMs: 250 },
    );
    const client = await connectAs(enrolled);
    await client.endAsync();
  });

  it('refuses to start with BROKER_UNAVAILABLE when nothing listens at the broker URL', async () => {
    const port = await freePort();
    await expect(
      createControlPlane({
        dataDir: await tempDir(),
        broker: { kind: 'external', url: `mqtt://127.0.0.1:${port}`, username: 'x', password: 'y' },
      }),
    ).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
  });

  it("refuses to start with BROKER_REFUSED when Mosquitto rejects the control plane's credentials", async () => {
    mosquitto = await startMosquitto();
    await expect(
      createControlPlane({
        dataDir: await tempDir(),
        broker: { kind: 'external', url: mosquitto.url, username: mosquitto.admin.username, password: 'wrong' },
      }),
    ).rejects.toMatchObject({ code: 'BROKER_REFUSED' });
  });
});
