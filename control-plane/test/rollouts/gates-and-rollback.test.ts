import { afterEach, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/index.js';
import { type Harness, onChampion, registerVersions, startHarness } from './rollout-harness.js';

const MIN = 60_000;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0).reverse()) await h.f.close({ keepDir: false });
});
async function fleetOnV1(n: number, options: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(options);
  harnesses.push(h);
  await registerVersions(h, 2);
  const ids = await h.enrol(n);
  await onChampion(h, ids);
  return { h, ids };
}
const plan = (extra: Record<string, unknown>) => ({
  line: 'iris',
  version: 2,
  selector: { group: 'lab' },
  waves: [{ percent: 50 }, { percent: 100 }],
  observationMs: MIN,
  ...extra,
});

describe('gates', () => {
  it('rolls back fleet-wide on an error-rate failure: v3 re-publishes v1 content, every targeted device gets it, numbers recorded', async () => {
    const { h, ids } = await fleetOnV1(4);
    const r = await h.rollout(plan({ gates: { errorRate: 0.05 } }));
    const wave = r.waves[0]?.devices ?? [];
    await h.installed(wave, 2);
    for (const id of wave) await h.inference(id, 2, { errors: 20, count: 100 });
    await h.advance(MIN);
    const after = await h.get(r.id);
    expect(after.state).toBe('rolled-back');
    expect(after.rollback).toMatchObject({
      version: 3,
      contentOf: 1,
      gate: [{ gate: 'errorRate', value: 0.2, threshold: 0.05 }],
    });
    expect(after.waves[0]?.gates[0]?.detail).toMatchObject({
      waveDevices: 2,
      championDevices: 2,
      count: 200,
      errors: 40,
    });
    for (const id of ids) expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: 3 }]);
    const manifestOf = async (v: number) =>
      (
        (await (await h.f.request('GET', `/v1/models/iris/versions/${v}`)).json()) as {
          manifest: { digest: string; lineage: { contentOf: number | null; parents: number[] } };
        }
      ).manifest;
    const v3 = await manifestOf(3);
    expect(v3.lineage).toMatchObject({ contentOf: 1, parents: [2] });
    expect(v3.digest).toBe((await manifestOf(1)).digest);
  });

  it('fails the p95 latency gate against the champion on the rest of the fleet and pauses when the plan says so', async () => {
    const { h } = await fleetOnV1(4);
    const r = await h.rollout(plan({ gates: { p95LatencyRatio: 1.5 }, onGateFailure: 'pause' }));
    const [wave, rest] = [r.waves[0]?.devices ?? [], r.waves[1]?.devices ?? []];
    await h.installed(wave, 2);
    for (const id of wave) await h.inference(id, 2, { p95: 9 });
    for (const id of rest) await h.inference(id, 1, { p95: 3 });
    await h.advance(MIN);
    const after = await h.get(r.id);
    expect(after.state).toBe('paused');
    expect(after.waves[0]?.gates[0]).toMatchObject({
      value: 3,
      passed: false,
      detail: { newP95Ms: 9, championP95Ms: 3 },
    });
    expect((await h.f.request('POST', `/v1/rollouts/${r.id}/resume`)).status).toBe(200);
    expect((await h.get(r.id)).state).toBe('awaiting-approval');
    expect((await h.f.request('POST', `/v1/rollouts/${r.id}/approve`)).status).toBe(200);
    expect((await h.get(r.id)).state).toBe('wave-installing');
  });

  it('stops a wave early on self-test failures (install gates judged as soon as installs settle)', async () => {
    const { h } = await fleetOnV1(4);
    const r = await h.rollout(
      plan({ gates: { selfTestFailures: 0, installFailureRate: 0.2 }, onGateFailure: 'pause' }),
    );
    const wave = r.waves[0]?.devices ?? [];
    await h.installed(wave, 2, 'install-failed', { code: 'SELF_TEST_FAILED', message: 'outputs differ' });
    const after = await h.get(r.id);
    expect(after.state).toBe('paused');
    expect(after.waves[0]?.gates).toEqual([
      expect.objectContaining({ gate: 'installFailureRate', value: 1, passed: false }),
      expect.objectContaining({ gate: 'selfTestFailures', value: 2, passed: false }),
    ]);
  });

  it('skips a gate without data and records it', async () => {
    const { h } = await fleetOnV1(2);
    const r = await h.rollout(plan({ waves: [{ percent: 100 }], gates: { predictionShiftPsi: 0.1 } }));
    await h.installed(r.waves[0]?.devices ?? [], 2);
    await h.advance(MIN);
    const after = await h.get(r.id);
    expect(after.state).toBe('completed');
    expect(after.waves[0]?.gates[0]).toMatchObject({
      gate: 'predictionShiftPsi',
      outcome: 'skipped',
      value: null,
      passed: true,
    });
  });
});

describe('shadow waves', () => {
  it('runs the challenger beside the champion, then promotes the wave to live when agreement passes', async () => {
    const { h } = await fleetOnV1(2);
    const r = await h.rollout(plan({ waves: [{ percent: 100, mode: 'shadow' }], gates: { shadowAgreement: 0.9 } }));
    const wave = r.waves[0]?.devices ?? [];
    for (const id of wave)
      expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: 1, shadow: 2 }]);
    await h.installed(wave, 2);
    for (const id of wave) await h.shadow(id, { champion: 1, challenger: 2, rows: 100, agreements: 97 });
    await h.advance(MIN);
    const after = await h.get(r.id);
    expect(after.waves[0]).toMatchObject({
      mode: 'shadow',
      state: 'promoted',
      gates: [{ gate: 'shadowAgreement', value: 0.97 }],
    });
    expect(after.state).toBe('completed');
    for (const id of wave) expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: 2 }]);
  });

  it('rolls back when the challenger disagrees with the champion', async () => {
    const { h, ids } = await fleetOnV1(2);
    const r = await h.rollout(plan({ waves: [{ percent: 100, mode: 'shadow' }], gates: { shadowAgreement: 0.9 } }));
    await h.installed(ids, 2);
    for (const id of ids) await h.shadow(id, { champion: 1, challenger: 2, rows: 100, agreements: 60 });
    await h.advance(MIN);
    const after = await h.get(r.id);
    expect(after.state).toBe('rolled-back');
    expect(after.rollback?.gate?.[0]).toMatchObject({
      gate: 'shadowAgreement',
      value: 0.6,
      detail: { rows: 200, agreements: 120 },
    });
  });
});

describe('operator actions, late joiners, restart and events', () => {
  it('pauses, resumes to the paused phase, refuses illegal moves with 409 and aborts', async () => {
    const { h } = await fleetOnV1(2);
    const r = await h.rollout(plan({}));
    const act = async (a: string) => h.f.request('POST', `/v1/rollouts/${r.id}/${a}`, { json: { reason: 'test' } });
    expect((await act('approve')).status).toBe(409);
    expect((await act('pause')).status).toBe(200);
    expect((await act('pause')).status).toBe(409);
    expect((await act('resume')).status).toBe(200);
    expect((await h.get(r.id)).state).toBe('wave-installing');
    expect((await act('abort')).status).toBe(200);
    const resumed = await act('resume');
    expect(resumed.status).toBe(409);
    expect(((await resumed.json()) as { error: { code: string } }).error.code).toBe('INVALID_TRANSITION');
  });

  it('gives a late-joining device the champion mid-rollout and the rollback version after a manual rollback', async () => {
    const { h } = await fleetOnV1(2);
    const r = await h.rollout(plan({}));
    const [early] = await h.enrol(1);
    expect((await h.desired(early as string))?.assignments).toEqual([{ line: 'iris', version: 1 }]);
    const res = await h.f.request('POST', `/v1/rollouts/${r.id}/rollback`, { json: { reason: 'looks wrong' } });
    expect(res.status).toBe(200);
    expect((await h.get(r.id)).rollback).toMatchObject({ version: 3, contentOf: 1, reason: 'looks wrong' });
    const [late] = await h.enrol(1);
    expect((await h.desired(late as string))?.assignments).toEqual([{ line: 'iris', version: 3 }]);
    expect((await h.desired(early as string))?.assignments).toEqual([{ line: 'iris', version: 3 }]);
  });

  it('resumes mid-wave after a restart without assigning any device twice', async () => {
    const { h, ids } = await fleetOnV1(4);
    const r = await h.rollout(plan({ concurrency: 1 }));
    const seqs = async () => Promise.all(ids.map(async (id) => (await h.desired(id))?.seq ?? 0));
    const before = await seqs();
    await h.f.close({ keepDir: true });
    harnesses.pop();
    const second = await startHarness({ dataDir: h.f.dataDir, clock: h.clock });
    harnesses.push(second);
    await second.advance(1_000);
    const after = await Promise.all(ids.map(async (id) => (await second.desired(id))?.seq ?? 0));
    expect(after).toEqual(before);
    const resumed = await second.get(r.id);
    expect(resumed.state).toBe('wave-installing');
    const assigned: string[] = [];
    for (const id of ids) if ((await second.desired(id))?.assignments[0]?.version === 2) assigned.push(id);
    expect(assigned).toHaveLength(1);
    await second.installed(assigned, 2);
    const next = await Promise.all(ids.map(async (id) => (await second.desired(id))?.seq ?? 0));
    expect(next.reduce((a, b) => a + b, 0)).toBe(after.reduce((a, b) => a + b, 0) + 1);
  });

  it('streams transitions and gate decisions as Server-Sent Events and writes them to the audit log', async () => {
    const { h } = await fleetOnV1(2);
    const seen: FleetEvent[] = [];
    h.f.cp.rollouts.on('event', (e) => seen.push(e));
    const res = await fetch(`${h.f.cp.httpUrl}/v1/events`, {
      headers: { authorization: `Bearer ${h.f.cp.adminToken}` },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const r = await h.rollout(plan({ waves: [{ percent: 100 }], gates: { errorRate: 0.5 } }));
    await h.installed(r.waves[0]?.devices ?? [], 2);
    await h.advance(MIN);
    let text = '';
    while (!text.includes('"to":"completed"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain('event: rollout.transition');
    expect(text).toContain('event: rollout.gate');
    expect(seen.filter((e) => e.type === 'rollout.transition').map((e) => e.to)).toEqual([
      'pending',
      'wave-installing',
      'wave-observing',
      'completed',
    ]);
    const audit = (await (await h.f.request('GET', '/v1/audit?limit=50')).json()) as {
      actor: string;
      action: string;
    }[];
    expect(audit.some((a) => a.actor === 'orchestrator' && a.action === 'rollout.gate')).toBe(true);
  });
});
