import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Agent, createOnnxRuntime, type Runtime } from '@edgefleet/agent';
import {
  type ErrorCode,
  generateSigningKey,
  type SignedDocument,
  signDocument,
  type Tensor,
} from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectStatus,
  type Fleet,
  type FleetOptions,
  registerModel,
  rolloutAndWait,
  startFleet,
  waitFor,
} from '../src/index.js';
import { craftDesired, currentDesiredSeq, fetchManifest, fleetKeys, publishDesired } from './attack-kit.js';

const v1Model = buildIrisModels({ seed: 1 });
const v2Model = buildIrisModels({ seed: 2 });
const probe = v1Model.meta.testSet.features.slice(0, 5);

/** A fleet of one agent running iris v1, with the test holding the control plane's keys. */
async function fleetOnV1(agentOptions: FleetOptions['agent'] = {}) {
  const keys = fleetKeys();
  const fleet = await startFleet({ agents: 1, controlPlane: { keys }, agent: agentOptions });
  const v1 = await registerModel(fleet.api, {
    line: 'iris',
    model: v1Model.fp32,
    sampleInputs: v1Model.meta.sampleInputs,
  });
  await rolloutAndWait(fleet, { line: 'iris', version: v1.version });
  const agent = fleet.agents[0]!;
  const before = await agent.predict('iris', probe);
  return { fleet, keys, agent, before };
}

type Setup = Awaited<ReturnType<typeof fleetOnV1>>;

/** Registers iris v2 through the API and returns its manifest as the control plane signed it. */
async function registerV2(setup: Setup) {
  const v2 = await registerModel(setup.fleet.api, {
    line: 'iris',
    model: v2Model.fp32,
    sampleInputs: v2Model.meta.sampleInputs,
  });
  return { v2, ...(await fetchManifest(setup.fleet, 'iris', v2.version)) };
}

/** Publishes a director-signed desired state, newer than the current one, assigning `manifest`. */
async function sendDesired(setup: Setup, manifest: SignedDocument, options: { expiresAt?: number } = {}) {
  const { fleet, agent, keys } = setup;
  const seq = (await currentDesiredSeq(fleet, agent.deviceId)) + 1;
  await publishDesired(
    fleet,
    agent.deviceId,
    craftDesired({ deviceId: agent.deviceId, seq, manifest, signers: keys.director, ...options }),
  );
}

async function expectRejectedAndStillServing(
  agent: Agent,
  code: ErrorCode,
  before: { version: number; outputs: number[][] },
): Promise<void> {
  await waitFor(() => (agent.stats().rejections[code] ?? 0) >= 1, { what: `the agent to reject with ${code}` });
  // give a wrongly-accepting agent the chance to switch before we look
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await agent.predict('iris', probe);
  expect(after.version).toBe(before.version);
  expect(after.outputs).toEqual(before.outputs);
  expect(agent.installed()).toEqual([expect.objectContaining({ line: 'iris', version: before.version })]);
  expect(agent.connectionState).toBe('online');
}

describe('the agent rejects bad updates, stays up and keeps serving its previous model', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('rejects a tampered chunk', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    const { v2 } = await registerV2(setup);
    // The bundle is tampered with in the control plane's blob store after it was signed.
    const blob = join(fleet.dir, 'control-plane', 'blobs', v2.digest);
    const bytes = await readFile(blob);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(blob, bytes);
    expectStatus(
      await fleet.api.post('/v1/rollouts', { line: 'iris', version: v2.version, group: 'lab' }),
      201,
      'rollout of v2',
    );
    await expectRejectedAndStillServing(setup.agent, 'CHUNK_HASH_MISMATCH', setup.before);
    const events = await waitFor(
      async () => {
        const r = await fleet!.api.get(`/v1/devices/${setup.agent.deviceId}/events`);
        return (r.body as Array<{ kind: string }>).some((e) => e.kind === 'install-failed') && r.body;
      },
      { what: 'the install-failed event at the control plane' },
    );
    expect(JSON.stringify(events)).toContain('CHUNK_HASH_MISMATCH');
  });

  it('rejects a manifest whose signature does not verify', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    const { doc } = await registerV2(setup);
    const sig = Uint8Array.from(doc.sigs[0]!.sig);
    sig[0]! ^= 1;
    await sendDesired(setup, { ...doc, sigs: [{ keyId: doc.sigs[0]!.keyId, sig }] });
    await expectRejectedAndStillServing(setup.agent, 'SIGNATURE_INVALID', setup.before);
  });

  it('rejects a manifest signed by an unknown key', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    const { body } = await registerV2(setup);
    await sendDesired(setup, signDocument(body, [generateSigningKey()]));
    await expectRejectedAndStillServing(setup.agent, 'KEY_UNKNOWN', setup.before);
  });

  it('rejects a downgrade to a lower version, even when validly signed', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    const { v2 } = await registerV2(setup);
    await rolloutAndWait(fleet, { line: 'iris', version: v2.version });
    const onV2 = await setup.agent.predict('iris', probe);
    const { doc: v1Manifest } = await fetchManifest(fleet, 'iris', 1);
    await sendDesired(setup, v1Manifest);
    await expectRejectedAndStillServing(setup.agent, 'DOWNGRADE', onV2);
  });

  it('rejects an expired desired state', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    const { doc } = await registerV2(setup);
    await sendDesired(setup, doc, { expiresAt: Date.now() - 1000 });
    await expectRejectedAndStillServing(setup.agent, 'DOCUMENT_EXPIRED', setup.before);
  });

  it('rejects malformed CBOR', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    await publishDesired(fleet, setup.agent.deviceId, Uint8Array.from([0xa2, 0x61, 0x76, 0x01, 0xff, 0x13]));
    await expectRejectedAndStillServing(setup.agent, 'CBOR_MALFORMED', setup.before);
  });

  it('rejects an oversized message', async () => {
    const setup = await fleetOnV1();
    fleet = setup.fleet;
    await publishDesired(fleet, setup.agent.deviceId, new Uint8Array(300 * 1024));
    await expectRejectedAndStillServing(setup.agent, 'MESSAGE_TOO_LARGE', setup.before);
  });

  it('reverts automatically when the self-test fails', async () => {
    // The self-test set is inside the signed bundle, so wrong expected outputs are a BUNDLE_HASH_MISMATCH;
    // what the self-test catches is a device that computes differently (a broken delegate) for v2.
    let skewedDigest: string | undefined;
    const cpu = createOnnxRuntime();
    const runtime: Runtime = {
      name: cpu.name,
      async load(options) {
        const model = await cpu.load(options);
        if (options.sha256 !== skewedDigest) return model;
        return {
          async run(feeds, fetches) {
            const out = await model.run(feeds, fetches);
            const skew = (t: Tensor) => ({ ...t, data: (t.data as Float32Array).map((p) => 1 - p) }) as Tensor;
            return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, skew(t)]));
          },
          close: () => model.close(),
        };
      },
    };
    const setup = await fleetOnV1({ runtime });
    fleet = setup.fleet;
    const { v2 } = await registerV2(setup);
    skewedDigest = v2.digest;
    expectStatus(
      await fleet.api.post('/v1/rollouts', { line: 'iris', version: v2.version, group: 'lab' }),
      201,
      'roll out v2',
    );
    await expectRejectedAndStillServing(setup.agent, 'SELF_TEST_FAILED', setup.before);
  });
});
