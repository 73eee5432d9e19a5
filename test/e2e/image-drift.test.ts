/**
 * Fleet drift on image inputs (real CNN, real TCP MQTT): the model is registered with a reference set of
 * images and per-channel mean and standard deviation as its drift features. Three cohorts of three agents
 * serve images: site-a exactly the reference images (its merged sketch must equal the reference profile:
 * the agents and the registry compute the same features), site-b fresh images from the same generator,
 * site-c the same kind of images 60 grey levels brighter. Only site-c (and the cohorts containing it) is
 * flagged.
 */

import { readFile } from 'node:fs/promises';
import type { Agent } from '@edgefleet/agent';
import { encodeCbor, encodeTensorMap, type Tensor } from '@edgefleet/protocol';
import { REAL_MODELS, seededImage } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';

const SITES = ['site-a', 'site-b', 'site-c'] as const;
const DRIFTED = 'site-c';
const AGENTS_PER_SITE = 3;
const REFERENCE_IMAGES = 450;
const IMAGES_PER_AGENT = REFERENCE_IMAGES / AGENTS_PER_SITE;
const BATCH = 10;
/** Square 48-pixel images keep the reference upload small; the CNN's height and width are dynamic. */
const SIZE = { height: 48, width: 48 };
const FEATURES = ['mean', 'std'].flatMap((stat) => [0, 1, 2].map((c) => `x.${stat}[${c}]`));

interface Alert {
  cohort: string;
  numbers: { features: Array<{ name: string; psi: number }> };
}

const reference = Array.from({ length: REFERENCE_IMAGES }, (_, i) => seededImage(i, SIZE));

/** `images` as batches of BATCH [N, 3, 48, 48] tensors. */
function batches(images: readonly Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  for (let from = 0; from < images.length; from += BATCH) {
    const part = images.slice(from, from + BATCH);
    const size = part[0]!.data.length;
    const data = new Float32Array(part.length * size);
    for (const [i, image] of part.entries()) data.set(image.data as Float32Array, i * size);
    out.push({ type: 'float32', data, dims: [part.length, 3, SIZE.height, SIZE.width] });
  }
  return out;
}

function imagesFor(site: string, agent: number): Tensor[] {
  const first = agent * IMAGES_PER_AGENT;
  if (site === 'site-a') return reference.slice(first, first + IMAGES_PER_AGENT);
  const brightness = site === DRIFTED ? 60 : 0;
  const seed = (site === 'site-b' ? 100_000 : 200_000) + first;
  return Array.from({ length: IMAGES_PER_AGENT }, (_, i) => seededImage(seed + i, { ...SIZE, brightness }));
}

describe('fleet drift on image inputs', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('flags the cohort whose images got brighter, and not the other cohorts', async () => {
    fleet = await startFleet({ controlPlane: { drift: { windowMs: 2000, graceMs: 500, judgeIntervalMs: 100 } } });
    const bySite = new Map<string, Agent[]>();
    for (const site of SITES) {
      const agents: Agent[] = [];
      for (let i = 0; i < AGENTS_PER_SITE; i++) agents.push(await fleet.addAgent({ tags: [site] }));
      bySite.set(site, agents);
    }
    const model = await registerModel(fleet.api, {
      line: 'cnn',
      model: new Uint8Array(await readFile(REAL_MODELS.imageCnn.path)),
      samples: [0, 1].map((i) => {
        const x = seededImage(90_000 + i, SIZE);
        return { x: { dtype: 'float32', dims: [...x.dims], data: Buffer.from(x.data.buffer).toString('base64') } };
      }),
      reference: {
        driftFeatures: {
          inputs: [
            { input: 'x', summary: 'channel-mean', axis: 1 },
            { input: 'x', summary: 'channel-std', axis: 1 },
          ],
          output: { summaries: ['confidence'] },
        },
      },
      referenceSamples: encodeCbor({ samples: reference.map((x) => encodeTensorMap({ x })) }),
    });
    await rolloutAndWait(fleet, { line: 'cnn', version: model.version, timeoutMs: 30_000 });

    for (const [site, agents] of bySite) {
      for (const [i, agent] of agents.entries()) {
        for (const x of batches(imagesFor(site, i))) await agent.infer('cnn', { x });
        await agent.flushTelemetry();
      }
    }

    const alertsOf = async () =>
      (await fleet!.api.get<{ alerts: Alert[] }>('/v1/drift/alerts?line=cnn&limit=100')).body.alerts;
    await waitFor(async () => (await alertsOf()).some((a) => a.cohort === `tag:${DRIFTED}`), {
      what: `a drift alert for tag:${DRIFTED}`,
      timeoutMs: 15_000,
    });
    // Let every cohort window close and be judged before asserting that no other cohort alerted.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const cohorts = new Set((await alertsOf()).map((a) => a.cohort));
    for (const cohort of cohorts) expect([`tag:${DRIFTED}`, 'group:lab', 'all']).toContain(cohort);

    const judged = Object.fromEntries(
      await Promise.all(
        SITES.map(async (site) => [
          site,
          await fleet!.cp.drift.evaluate({ line: 'cnn', version: model.version, cohort: `tag:${site}` }),
        ]),
      ),
    );
    const psiOf = (site: string) =>
      Object.fromEntries(judged[site].features.map((f: { name: string; psi: number }) => [f.name, f.psi]));
    console.info(
      'image drift: PSI per feature and cohort',
      JSON.stringify(Object.fromEntries(SITES.map((s) => [s, { level: judged[s].level, psi: psiOf(s) }]))),
    );
    for (const site of SITES) expect(judged[site].rows).toBe(REFERENCE_IMAGES);
    // The reference images, served by agents, land in exactly the reference bins: every feature at 0.
    for (const f of judged['site-a'].features) expect([f.name, f.psi, f.js, f.ksD]).toEqual([f.name, 0, 0, 0]);
    expect(judged['site-a'].level).toBe('ok');
    expect(judged['site-b'].level).not.toBe('alert');
    expect(judged[DRIFTED].level).toBe('alert');
    // Brightness moves the channel means far; each is well past the alert band.
    for (const name of FEATURES.slice(0, 3)) expect(psiOf(DRIFTED)[name]).toBeGreaterThan(1);
    for (const name of FEATURES.slice(0, 3)) expect(psiOf('site-b')[name]).toBeLessThan(0.1);
  }, 60_000);
});
