/**
 * A control-plane replica killed (SIGKILL) in the middle of a staged rollout, on the production topology:
 * devices on a real Mosquitto, two replicas (real `edgefleet-control-plane` processes) sharing one
 * PostgreSQL database and one data directory (keys, blobs). The survivor takes the scheduler lock when
 * PostgreSQL drops the dead leader's session, resumes the rollout from the database and finishes it; every
 * device ends on the new version and got exactly one new desired document (none double-assigned).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Agent, createAgent } from '@edgefleet/agent';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  type ControlPlaneProcess,
  enrolmentToken,
  expectStatus,
  type Mosquitto,
  type PostgresServer,
  registerModel,
  startControlPlaneProcess,
  startMosquitto,
  startPostgres,
  waitFor,
  waitForRolloutEnd,
} from '../src/index.js';

const AGENTS = 6;
const v1Models = buildIrisModels({ seed: 42 });
const v2Models = buildIrisModels({ seed: 7 });

describe('control-plane replica killed mid-rollout (Mosquitto + PostgreSQL)', () => {
  let mosquitto: Mosquitto;
  let pg: PostgresServer;
  let dir: string;
  const replicas: ControlPlaneProcess[] = [];
  const agents: Agent[] = [];

  beforeAll(async () => {
    [mosquitto, pg] = await Promise.all([startMosquitto(), startPostgres()]);
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-replica-kill-'));
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(agents.map((a) => a.close()));
    await Promise.allSettled(replicas.map((r) => r.kill('SIGTERM')));
    await mosquitto?.stop();
    await pg?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function replica(databaseUrl: string): Promise<ControlPlaneProcess> {
    const started = await startControlPlaneProcess({
      args: [
        '--data-dir',
        join(dir, 'control-plane'),
        '--http-port',
        '0',
        '--broker-url',
        mosquitto.url,
        '--broker-username',
        mosquitto.admin.username,
      ],
      env: {
        EDGEFLEET_BROKER_PASSWORD: mosquitto.admin.password,
        EDGEFLEET_DATABASE_URL: databaseUrl,
        EDGEFLEET_LOG_LEVEL: 'warn',
      },
    });
    replicas.push(started);
    return started;
  }

  const schedulerOf = async (api: ApiClient) => (await api.get<{ scheduler: string }>('/v1/health')).body.scheduler;

  it('the survivor finishes the rollout; every device installed once, none double-assigned', async () => {
    const databaseUrl = await pg.createDatabase();
    const a = await replica(databaseUrl);
    const b = await replica(databaseUrl);
    const token = (await readFile(join(dir, 'control-plane', 'admin-token'), 'utf8')).trim();
    const apiA = apiClient(a.httpUrl, token);
    const apiB = apiClient(b.httpUrl, token);
    expect(await schedulerOf(apiA)).toBe('leader');
    expect(await schedulerOf(apiB)).toBe('follower');

    const rootPublicKeys = a.rootPublicKeysHex;
    for (let i = 0; i < AGENTS; i++) {
      // Half the devices enrol through each replica: both write the one database.
      const api = i % 2 === 0 ? apiA : apiB;
      const agent = await createAgent({
        stateDir: join(dir, `agent-${i}`),
        rootPublicKeys,
        controlPlaneUrl: i % 2 === 0 ? a.httpUrl : b.httpUrl,
        enrolmentToken: await enrolmentToken(api, { group: 'lab' }),
      });
      agents.push(agent);
    }
    const v1 = await registerModel(apiA, {
      line: 'iris',
      model: v1Models.fp32,
      sampleInputs: v1Models.meta.sampleInputs,
    });
    const first = expectStatus(
      await apiA.post<{ id: string }>('/v1/rollouts', { line: 'iris', version: v1.version, group: 'lab' }),
      201,
      'v1',
    );
    for (const agent of agents) {
      await waitFor(() => agent.installed().some((m) => m.version === v1.version), { what: `${agent.deviceId} on v1` });
    }
    // The devices run v1 a moment before the v1 rollout ends (the leader completes it once it has their
    // reports); until then they are in an active rollout of iris and the v2 rollout would be refused (409).
    await waitForRolloutEnd(apiA, first.id);
    const seqBefore = new Map<string, number>();
    for (const agent of agents) {
      seqBefore.set(agent.deviceId, (await apiB.get(`/v1/devices/${agent.deviceId}`)).body.desired.seq);
    }

    const v2 = await registerModel(apiA, {
      line: 'iris',
      model: v2Models.fp32,
      sampleInputs: v2Models.meta.sampleInputs,
    });
    const rollout = expectStatus(
      await apiA.post<{ id: string }>('/v1/rollouts', {
        line: 'iris',
        version: v2.version,
        selector: { group: 'lab' },
        waves: [{ percent: 34 }, { percent: 67 }, { percent: 100 }],
        installTimeoutMs: 30_000,
        observationMs: 1_500,
      }),
      201,
      'v2 rollout',
    );
    // Kill the leader once the first wave is installed and before the last wave started.
    await waitFor(
      async () => {
        const view = (await apiB.get(`/v1/rollouts/${rollout.id}`)).body;
        return view.currentWave >= 1 || view.state === 'wave-observing';
      },
      { what: 'the first wave to be installed', timeoutMs: 30_000, intervalMs: 50 },
    );
    await a.kill('SIGKILL');
    // What the dead leader left: mid-rollout, the last wave's devices not assigned yet (the survivor must).
    const midway = (await apiB.get(`/v1/rollouts/${rollout.id}`)).body;
    expect(midway.state).not.toBe('completed');
    expect(midway.currentWave).toBeLessThan(2);

    await waitFor(async () => (await schedulerOf(apiB)) === 'leader', {
      what: 'the survivor to take the scheduler lock',
      timeoutMs: 20_000,
    });
    const done = await waitFor(
      async () => {
        const view = (await apiB.get(`/v1/rollouts/${rollout.id}`)).body;
        return ['completed', 'rolled-back', 'failed', 'paused'].includes(view.state) && view;
      },
      { what: 'the survivor to finish the rollout', timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(done.state).toBe('completed');
    for (const agent of agents) {
      await waitFor(() => agent.installed().some((m) => m.version === v2.version), { what: `${agent.deviceId} on v2` });
      const device = (await apiB.get(`/v1/devices/${agent.deviceId}`)).body;
      expect(device.desired.assignments).toEqual([{ line: 'iris', version: v2.version }]);
      // Exactly one new desired document per device for this rollout: nobody assigned it twice.
      expect(device.desired.seq, agent.deviceId).toBe((seqBefore.get(agent.deviceId) ?? 0) + 1);
    }
  });
});
