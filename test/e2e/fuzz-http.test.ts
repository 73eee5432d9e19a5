import { buildIrisModels } from '@edgefleet/test/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzzTarget } from '../src/fuzz/fuzz-target.js';
import { agentHttpTarget, type ControlPlaneRoute, controlPlaneTargets } from '../src/fuzz/http-targets.js';
import { expectStatus, type Fleet, registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const CASES = 10_000;
const iris = buildIrisModels({ seed: 1 });

/** One seed body per JSON route of the control plane; the fuzzer mutates from there. */
function routes(rolloutId: string): ControlPlaneRoute[] {
  const actions = ['pause', 'resume', 'abort', 'approve', 'rollback'] as const;
  return [
    { openapiPath: '/v1/tokens', path: '/v1/tokens', auth: true, seed: { name: 'ci-bot', role: 'viewer' } },
    {
      openapiPath: '/v1/enrolment-tokens',
      path: '/v1/enrolment-tokens',
      auth: true,
      seed: { group: 'lab', tags: ['north'], ttlSec: 60 },
    },
    {
      openapiPath: '/v1/enrol',
      path: '/v1/enrol',
      auth: false,
      seed: {
        token: 'not-a-token',
        deviceId: 'dev-1',
        hardware: { platform: 'linux', arch: 'arm64', cpus: 4, memoryBytes: 1e9 },
      },
    },
    {
      openapiPath: '/v1/rollouts',
      path: '/v1/rollouts',
      auth: true,
      seed: { line: 'iris', version: 1, selector: { group: 'lab' }, waves: [{ percent: 50 }, { percent: 100 }] },
    },
    ...actions.map((a) => ({
      openapiPath: `/v1/rollouts/{id}/${a}`,
      path: `/v1/rollouts/${rolloutId}/${a}`,
      auth: true,
      seed: { reason: 'fuzz' },
    })),
    {
      openapiPath: '/v1/fl/jobs',
      path: '/v1/fl/jobs',
      auth: true,
      seed: {
        line: 'iris-fl',
        selector: { group: 'lab' },
        spec: { kind: 'mlp', layers: [4, 8, 3], activation: 'relu' },
        init: { seed: 1 },
        evalSet: 'ab'.repeat(32),
        rounds: 2,
      },
    },
  ];
}

describe('fuzzing the HTTP request bodies (10,000 cases per route)', () => {
  let fleet: Fleet;
  let rolloutId: string;
  beforeAll(async () => {
    fleet = await startFleet({ agents: 1, agent: { httpApi: { port: 0 } } });
    await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
    rolloutId = await rolloutAndWait(fleet, { line: 'iris', version: 1 });
    expectStatus(await fleet.api.get(`/v1/rollouts/${rolloutId}`), 200, 'rollout');
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it('control plane: no 5xx, nothing accepted that its OpenAPI schema refuses, on every JSON route', async () => {
    const targets = await controlPlaneTargets(fleet.cp, routes(rolloutId));
    for (const target of targets) {
      const result = await runFuzzTarget(target, { numRuns: CASES, seed: 9 });
      expect(result, `${target.name}: ${result.finding}`).toMatchObject({
        cases: CASES,
        crashes: 0,
        acceptedInvalid: 0,
      });
    }
  }, 600_000);

  it('agent local API: no 5xx, no malformed rows or labels accepted', async () => {
    const url = fleet.agents[0]!.httpUrl!;
    const result = await runFuzzTarget(agentHttpTarget({ url, line: 'iris', features: 4 }), {
      numRuns: CASES,
      seed: 9,
    });
    expect(result, result.finding).toMatchObject({ cases: CASES, crashes: 0, acceptedInvalid: 0 });
    expect(result.accepted).toBeGreaterThan(0);
  }, 300_000);
});
