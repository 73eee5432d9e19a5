/**
 * Revocation on both brokers (embedded aedes and Mosquitto with dynamic security): a revoked device's live
 * session is cut within 2 s, it cannot log in again, its desired state is withdrawn and new rollouts leave it
 * out. API tokens are revoked and rotated; enrolment tokens are listed with their state and revoked.
 */
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiClient,
  connectAs,
  enrolmentToken,
  enrolRawDevice,
  type Fleet,
  type Mosquitto,
  registerModel,
  rolloutAndWait,
  startFleet,
  startMosquitto,
  waitFor,
} from '../src/index.js';

const iris = buildIrisModels();

describe.each(['embedded', 'mosquitto'] as const)('device revocation (%s)', (kind) => {
  let mosquitto: Mosquitto | undefined;
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    await mosquitto?.stop();
    fleet = undefined;
    mosquitto = undefined;
  });

  it('cuts the session within 2 s, refuses the next login, withdraws desired state and leaves new rollouts without it', async () => {
    mosquitto = kind === 'mosquitto' ? await startMosquitto() : undefined;
    fleet = await startFleet({
      agents: 2,
      controlPlane:
        mosquitto === undefined ? {} : { broker: { kind: 'external', url: mosquitto.url, ...mosquitto.admin } },
    });
    const model = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: model.version });
    const [victim, survivor] = fleet.agents as [Fleet['agents'][number], Fleet['agents'][number]];
    expect(victim.connectionState).toBe('online');

    const started = Date.now();
    const res = await fleet.api.post(`/v1/devices/${victim.deviceId}/revoke`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: victim.deviceId, revoked: [victim.deviceId] });
    await waitFor(() => victim.connectionState !== 'online', {
      timeoutMs: 2_000,
      what: 'the revoked session to close',
    });
    const cutMs = Date.now() - started;
    expect(cutMs).toBeLessThanOrEqual(2_000);
    // The agent keeps retrying with its old password; it never gets back in.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(victim.connectionState).not.toBe('online');
    expect(survivor.connectionState).toBe('online');
    // It still answers locally with the model it has (revocation is about the fleet, not the device's data).
    expect((await victim.predict('iris', [iris.meta.sampleInputs[0]!])).version).toBe(model.version);

    const detail = (await fleet.api.get(`/v1/devices/${victim.deviceId}`)).body;
    expect(detail.revokedAt).toEqual(expect.any(Number));
    expect(detail.desired).toBeNull();
    expect((await fleet.api.post(`/v1/devices/${victim.deviceId}/revoke`, {})).body.revoked).toEqual([]);

    const v2 = await registerModel(fleet.api, { line: 'iris', model: iris.int8, sampleInputs: iris.meta.sampleInputs });
    const rolloutId = await rolloutAndWait(fleet, { line: 'iris', version: v2.version, agents: [survivor] });
    const rollout = (await fleet.api.get(`/v1/rollouts/${rolloutId}`)).body;
    const members = (rollout.devices as { deviceId: string }[]).map((d) => d.deviceId);
    expect(members).toEqual([survivor.deviceId]);
    const audit = (await fleet.api.get('/v1/audit?limit=20')).body as { action: string; target: string }[];
    expect(audit.filter((a) => a.action === 'devices.revoke').map((a) => a.target)).toEqual([
      `device:${victim.deviceId}`,
      `device:${victim.deviceId}`,
    ]);
  });

  it('refuses a raw login with the revoked credentials', async () => {
    mosquitto = kind === 'mosquitto' ? await startMosquitto() : undefined;
    fleet = await startFleet({
      controlPlane:
        mosquitto === undefined ? {} : { broker: { kind: 'external', url: mosquitto.url, ...mosquitto.admin } },
    });
    const device = await enrolRawDevice(fleet.api, 'to-revoke');
    const client = await connectAs(device);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect((await fleet.api.post(`/v1/devices/${device.deviceId}/revoke`, {})).status).toBe(200);
    await closed;
    client.end(true);
    await expect(connectAs(device)).rejects.toThrow(/Bad username or password|Not authorized|closed/i);
  });
});

describe('API and enrolment tokens', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('lists, revokes and rotates API tokens; a revoked token gets 401 on its next call', async () => {
    fleet = await startFleet();
    const minted = (await fleet.api.post('/v1/tokens', { name: 'ci-bot', role: 'operator' })).body.token as string;
    const bot = apiClient(fleet.cp.httpUrl, minted);
    expect((await bot.get('/v1/whoami')).body).toEqual({ name: 'ci-bot', role: 'operator' });
    const listed = (await fleet.api.get('/v1/tokens')).body as { name: string; role: string }[];
    expect(listed.map((t) => `${t.name}:${t.role}`)).toEqual(['admin:admin', 'ci-bot:operator']);
    expect(JSON.stringify(listed)).not.toContain(minted);

    const rotated = (await fleet.api.post('/v1/tokens/ci-bot/rotate', {})).body as { token: string; role: string };
    expect(rotated.role).toBe('operator');
    expect((await bot.get('/v1/whoami')).status).toBe(401);
    const renewed = apiClient(fleet.cp.httpUrl, rotated.token);
    expect((await renewed.get('/v1/whoami')).status).toBe(200);

    expect((await fleet.api.delete('/v1/tokens/ci-bot')).status).toBe(204);
    expect((await renewed.get('/v1/whoami')).status).toBe(401);
    expect((await fleet.api.delete('/v1/tokens/ci-bot')).status).toBe(404);
    const audit = (await fleet.api.get('/v1/audit?limit=3')).body as { action: string; status: number }[];
    expect(audit.map((a) => `${a.action} ${a.status}`)).toEqual([
      'tokens.revoke 404',
      'tokens.revoke 204',
      'tokens.rotate 200',
    ]);
  });

  it('lists enrolment tokens with expiry, state and remaining uses, and a revoked one enrols nobody', async () => {
    fleet = await startFleet();
    const used = await enrolmentToken(fleet.api, { group: 'lab' });
    expect((await fleet.api.post('/v1/enrol', { token: used, deviceId: 'early' })).status).toBe(201);
    const spare = (await fleet.api.post('/v1/enrolment-tokens', { group: 'lab', ttlSec: 600 })).body as {
      token: string;
      id: string;
      expiresAt: number;
    };
    const listed = (await fleet.api.get('/v1/enrolment-tokens')).body as Record<string, unknown>[];
    const mine = listed.filter((t) => t.usedBy === 'early' || t.id === spare.id);
    expect(mine.map((t) => [t.state, t.remainingUses])).toEqual([
      ['used', 0],
      ['usable', 1],
    ]);
    expect(mine[1]).toMatchObject({ group: 'lab', expiresAt: spare.expiresAt, createdBy: 'admin' });
    expect(JSON.stringify(listed)).not.toContain(spare.token);

    const revoked = await fleet.api.delete(`/v1/enrolment-tokens/${spare.id}`);
    expect(revoked.body).toMatchObject({ id: spare.id, state: 'revoked', remainingUses: 0 });
    const refused = await fleet.api.post('/v1/enrol', { token: spare.token, deviceId: 'late' });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('ENROLMENT_TOKEN_INVALID');
    const usedId = mine[0]!.id as string;
    expect((await fleet.api.delete(`/v1/enrolment-tokens/${usedId}`)).status).toBe(409);
    expect((await fleet.api.delete('/v1/enrolment-tokens/not-an-id')).body.error.code).toBe('PATH_INVALID');
  });
});
