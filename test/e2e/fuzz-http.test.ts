import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneRoutes } from '../src/fuzz/control-plane-routes.js';
import { runFuzzTarget } from '../src/fuzz/fuzz-target.js';
import { agentHttpTarget, controlPlaneTarget } from '../src/fuzz/http-targets.js';
import { type Fleet, registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const CASES = 10_000;
const iris = buildIrisModels({ seed: 1 });

// CI budget: 10,000 cases spread over the control plane's ten JSON routes (each request ~1.5 ms through
// auth, audit and SQLite); `pnpm soak:fuzz` runs 100,000 per route.
describe('fuzzing the HTTP request bodies', () => {
  let fleet: Fleet;
  let rolloutId: string;
  beforeAll(async () => {
    fleet = await startFleet({ agents: 1, agent: { httpApi: { port: 0 } } });
    await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
    rolloutId = await rolloutAndWait(fleet, { line: 'iris', version: 1 });
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it('control plane: 10,000 bodies over every JSON route, no 5xx, nothing its OpenAPI schema refuses accepted', async () => {
    const target = await controlPlaneTarget(fleet.cp, controlPlaneRoutes(rolloutId));
    const result = await runFuzzTarget(target, { numRuns: CASES, seed: 9 });
    expect(result, result.finding).toMatchObject({ cases: CASES, crashes: 0, acceptedInvalid: 0 });
    expect(result.accepted).toBeGreaterThan(0);
  }, 120_000);

  it('agent local API: 10,000 bodies, no 5xx, no malformed rows or labels accepted', async () => {
    const url = fleet.agents[0]!.httpUrl!;
    const result = await runFuzzTarget(agentHttpTarget({ url, line: 'iris', features: 4 }), {
      numRuns: CASES,
      seed: 9,
    });
    expect(result, result.finding).toMatchObject({ cases: CASES, crashes: 0, acceptedInvalid: 0 });
    expect(result.accepted).toBeGreaterThan(0);
  }, 120_000);
});
