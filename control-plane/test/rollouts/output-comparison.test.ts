/**
 * The plan's `compare` (which output the shadow and prediction-shift gates read, and how): it travels to
 * the devices of a shadow wave in their desired-state assignment, leaves with the promotion, and names an
 * output every compared version has.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, onChampion, registerVersions, startHarness } from './rollout-harness.js';

const MIN = 60_000;
let h: Harness | undefined;
afterEach(async () => {
  await h?.f.close({ keepDir: false });
  h = undefined;
});

async function fleetOnV1(n: number) {
  h = await startHarness();
  await registerVersions(h, 2);
  const ids = await h.enrol(n);
  await onChampion(h, ids);
  return { h, ids };
}

const shadowPlan = (compare: unknown) => ({
  line: 'iris',
  version: 2,
  selector: { group: 'lab' },
  waves: [{ percent: 100, mode: 'shadow' }],
  observationMs: MIN,
  gates: { shadowAgreement: 0.9 },
  compare,
});

describe('output comparison in rollout plans', () => {
  it('sends the comparison with the shadow assignment and drops it when the wave is promoted', async () => {
    const { h, ids } = await fleetOnV1(2);
    const compare = { output: 'probabilities', mode: 'tolerance', atol: 0.05 };
    const r = await h.rollout(shadowPlan(compare));
    for (const id of ids) {
      expect((await h.desired(id))?.assignments).toEqual([
        { line: 'iris', version: 1, shadow: 2, compare: { ...compare, rtol: 0 } },
      ]);
    }
    await h.installed(ids, 2);
    for (const id of ids) await h.shadow(id, { champion: 1, challenger: 2, rows: 100, agreements: 95 });
    await h.advance(MIN);
    expect((await h.get(r.id)).state).toBe('completed');
    for (const id of ids) expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: 2 }]);
  });

  it('skips prediction shift under a tolerance comparison (the output has no classes), saying so', async () => {
    const { h, ids } = await fleetOnV1(2);
    const r = await h.rollout({
      ...shadowPlan({ mode: 'tolerance', atol: 0.01 }),
      waves: [{ percent: 100 }],
      gates: { predictionShiftPsi: 0.1 },
    });
    await h.installed(ids, 2);
    await h.advance(MIN);
    const gate = (await h.get(r.id)).waves[0]?.gates[0];
    expect(gate).toMatchObject({
      gate: 'predictionShiftPsi',
      outcome: 'skipped',
      detail: { reason: expect.stringContaining('tolerance') },
    });
  });

  it.each([
    [{ output: 'logits', mode: 'argmax' }, 'compare.output'],
    [{ mode: 'tolerance', atol: -1 }, 'compare'],
    [{ mode: 'argmax', atol: 0.1 }, 'compare'],
  ])('refuses %j with 400 BODY_INVALID', async (compare, path) => {
    const { h } = await fleetOnV1(1);
    const res = await h.f.request('POST', '/v1/rollouts', { json: shadowPlan(compare) });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('BODY_INVALID');
    expect(JSON.stringify(body.error)).toContain(path);
  });
});
