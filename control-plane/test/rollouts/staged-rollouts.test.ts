import { afterEach, describe, expect, it } from 'vitest';
import { ROLLOUT_STATES, type RolloutState } from '../../src/index.js';
import { transitionRollout } from '../../src/rollouts/rollout-state.js';
import { type Harness, onChampion, registerVersions, startHarness } from './rollout-harness.js';

const MIN = 60_000;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0).reverse()) await h.f.close();
});
async function harness(options: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}
/** n devices on iris v1 with v1..v`versions` registered. */
async function fleetOnV1(n: number, versions = 2) {
  const h = await harness();
  await registerVersions(h, versions);
  const ids = await h.enrol(n);
  await onChampion(h, ids);
  return { h, ids };
}
const basePlan = {
  line: 'iris',
  version: 2,
  selector: { group: 'lab' },
  observationMs: MIN,
  installTimeoutMs: 5 * MIN,
};

describe('rollout state machine', () => {
  const legal: [RolloutState, RolloutState][] = [
    ['pending', 'wave-installing'],
    ['wave-installing', 'wave-observing'],
    ['wave-observing', 'awaiting-approval'],
    ['awaiting-approval', 'wave-installing'],
    ['wave-observing', 'completed'],
    ['paused', 'wave-observing'],
    ['rolling-back', 'rolled-back'],
    ['completed', 'rolling-back'],
  ];
  it.each(legal)('allows %s → %s', (from, to) => expect(transitionRollout(from, to)).toBe(to));

  const illegal: [RolloutState, RolloutState][] = [
    ['completed', 'wave-installing'],
    ['aborted', 'paused'],
    ['rolled-back', 'rolling-back'],
    ['pending', 'completed'],
    ['wave-installing', 'completed'],
    ['paused', 'paused'],
  ];
  it.each(illegal)('rejects %s → %s with INVALID_TRANSITION', (from, to) => {
    expect(() => transitionRollout(from, to)).toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION' }));
  });

  it('names every state once', () => expect(new Set(ROLLOUT_STATES).size).toBe(ROLLOUT_STATES.length));
});

describe('plans', () => {
  it('refuses invalid plans with 400 BODY_INVALID naming the field', async () => {
    const { h } = await fleetOnV1(2);
    const cases: [unknown, string][] = [
      [{ ...basePlan, waves: [{ percent: 50 }, { percent: 20 }, { percent: 100 }] }, 'waves.1.percent'],
      [{ ...basePlan, waves: [{ percent: 10 }, { percent: 50 }] }, 'waves.1.percent'],
      [{ ...basePlan, selector: {}, waves: [{ percent: 100 }] }, 'selector'],
      [{ ...basePlan, selector: { group: 'nobody' }, waves: [{ percent: 100 }] }, 'selector'],
      [{ ...basePlan, waves: [{ percent: 100 }], gates: { errorRate: 2 } }, 'gates.errorRate'],
    ];
    for (const [body, path] of cases) {
      const res = await h.f.request('POST', '/v1/rollouts', { json: body });
      const json = (await res.json()) as { error: { code: string; details: { issues: { path: string }[] } } };
      expect(res.status).toBe(400);
      expect(json.error.code).toBe('BODY_INVALID');
      expect(json.error.details.issues.map((i) => i.path)).toContain(path);
    }
  });

  it('answers 404 for an unknown version, 409 for a version not above the champion and for a device already in an active rollout', async () => {
    const { h } = await fleetOnV1(2, 3);
    const post = (body: unknown) => h.f.request('POST', '/v1/rollouts', { json: body });
    expect((await post({ ...basePlan, version: 9, waves: [{ percent: 100 }] })).status).toBe(404);
    expect((await post({ ...basePlan, version: 1, waves: [{ percent: 100 }] })).status).toBe(409);
    expect((await post({ ...basePlan, waves: [{ percent: 100 }] })).status).toBe(201);
    const conflict = await post({ ...basePlan, version: 3, waves: [{ percent: 100 }] });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe('CONFLICT');
  });

  it('gives rollouts created in the same millisecond strictly increasing creation times, newest listed first', async () => {
    // The champion rollout of fleetOnV1 and this one are created at the same manual-clock instant; "the
    // newest rollout of a line" (late enrolment, listings) must not depend on how a dialect breaks ties.
    const { h } = await fleetOnV1(2);
    const at = h.clock.now();
    const created = await h.rollout({ ...basePlan, waves: [{ percent: 100 }] });
    const list = (await (await h.f.request('GET', '/v1/rollouts')).json()) as {
      id: string;
      version: number;
      createdAt: number;
    }[];
    const [newest, older] = list;
    expect(newest).toMatchObject({ id: created.id, version: 2 });
    expect(older?.version).toBe(1);
    expect(older?.createdAt).toBe(at);
    expect(newest?.createdAt).toBe(at + 1);
  });
});

describe('waves', () => {
  it('runs a 3-wave rollout to completion, wave by wave, and every targeted device ends on the new version', async () => {
    const { h, ids } = await fleetOnV1(10);
    const r = await h.rollout({
      ...basePlan,
      waves: [{ percent: 10 }, { percent: 50 }, { percent: 100 }],
      gates: { errorRate: 0.05 },
    });
    expect(r.waves.map((w) => w.devices.length)).toEqual([1, 4, 5]);
    expect(r.state).toBe('wave-installing');
    for (const [i, wave] of r.waves.entries()) {
      const now = await h.get(r.id);
      expect(now.currentWave).toBe(i);
      for (const id of ids) {
        const expected = r.waves.slice(0, i + 1).some((w) => w.devices.includes(id)) ? 2 : 1;
        expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: expected }]);
      }
      await h.installed(wave.devices, 2);
      expect((await h.get(r.id)).state).toBe('wave-observing');
      for (const id of wave.devices) await h.inference(id, 2, { errors: 1, count: 100 });
      await h.advance(MIN);
    }
    const done = await h.get(r.id);
    expect(done.state).toBe('completed');
    expect(done.waves.map((w) => w.state)).toEqual(['passed', 'passed', 'passed']);
    expect(done.waves[0]?.gates[0]).toMatchObject({
      gate: 'errorRate',
      value: 0.01,
      passed: true,
      detail: { waveDevices: 1, championDevices: 9 },
    });
    for (const id of ids) expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: 2 }]);
  });

  it('keeps at most `concurrency` devices installing and assigns more as others settle', async () => {
    const { h, ids } = await fleetOnV1(5);
    const r = await h.rollout({ ...basePlan, waves: [{ percent: 100 }], concurrency: 2 });
    const assigned = async () => {
      const out: string[] = [];
      for (const id of ids) if ((await h.desired(id))?.assignments[0]?.version === 2) out.push(id);
      return out;
    };
    const first = await assigned();
    expect(first).toHaveLength(2);
    await h.installed([first[0] as string], 2);
    expect(await assigned()).toHaveLength(3);
    await h.installed(await assigned(), 2);
    expect(await assigned()).toHaveLength(5);
    await h.installed(ids, 2);
    expect((await h.get(r.id)).state).toBe('wave-observing');
  });

  it('times out installs: offline devices are counted apart and do not block, online ones fail', async () => {
    const { h, ids } = await fleetOnV1(3);
    const r = await h.rollout({ ...basePlan, waves: [{ percent: 100 }], gates: { installFailureRate: 0.5 } });
    await h.installed([ids[0] as string], 2);
    await h.advance(5 * MIN);
    const after = await h.get(r.id);
    expect(after.waves[0]?.counts).toMatchObject({ installed: 1, offline: 2, failed: 0 });
    expect(after.offline).toBe(2);
    expect(after.state).toBe('wave-observing');
    await h.advance(MIN);
    const done = await h.get(r.id);
    expect(done.state).toBe('completed');
    expect(done.waves[0]?.gates[0]).toMatchObject({
      gate: 'installFailureRate',
      value: 0,
      detail: { offline: 2, installed: 1 },
    });
  });
});
