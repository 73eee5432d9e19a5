/**
 * TUF-style attacks on a real agent (Samuel et al. 2010 "Survivable key compromise in software
 * update systems" §3): arbitrary content, endless data, rollback by replay, freeze, mix-and-match and the
 * compromise of one key of a 2-of-2 role. Every attack uses real ed25519 signatures and the real fetch
 * path. For each the agent must reject, count the code, report it to the control plane as an event, keep
 * serving its current model unchanged — and then accept the next correct update.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ErrorCode,
  generateSigningKey,
  type RoleName,
  type RootKeys,
  type SignedDocument,
  signDocument,
} from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectStatus,
  type Fleet,
  registerModel,
  rolloutAndWait,
  startFleet,
  waitFor,
  waitForRolloutEnd,
} from '../src/index.js';
import {
  craftDesired,
  currentDesiredSeq,
  fetchManifest,
  fleetKeys,
  type HostileMirror,
  hostileMirror,
  publishDesired,
} from './attack-kit.js';

const models = [1, 2, 3].map((seed) => buildIrisModels({ seed }));
const probe = models[0]!.meta.testSet.features.slice(0, 5);

interface Setup {
  readonly fleet: Fleet;
  readonly keys: RootKeys;
  readonly mirror: HostileMirror;
  /** The seq of the desired state that installed v1. */
  readonly v1Seq: number;
  readonly before: { version: number; outputs: number[][] };
  cleanup(): Promise<void>;
}

/** A fleet of one agent on iris v1, its bundles served through a hostile mirror the test controls. */
async function fleetOnV1(options: { keys?: RootKeys; thresholds?: Partial<Record<RoleName, number>> } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-tuf-'));
  const keys = options.keys ?? fleetKeys();
  const mirror = hostileMirror(join(dir, 'control-plane', 'blobs'));
  const fleet = await startFleet({
    dir,
    controlPlane: {
      keys,
      blobStore: mirror.store,
      ...(options.thresholds === undefined ? {} : { thresholds: options.thresholds }),
    },
  });
  const agent = await fleet.addAgent({ overrides: { fetch: { chunkTimeoutMs: 1000 } } });
  await register(fleet, 0);
  await rolloutAndWait(fleet, { line: 'iris', version: 1 });
  const v1Seq = await currentDesiredSeq(fleet, agent.deviceId);
  const before = await agent.predict('iris', probe);
  const cleanup = async () => {
    await fleet.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { fleet, keys, mirror, v1Seq, before, cleanup } satisfies Setup;
}

function register(fleet: Fleet, index: number, line = 'iris') {
  const m = models[index]!;
  return registerModel(fleet.api, { line, model: m.fp32, sampleInputs: m.meta.sampleInputs });
}

/** A director-signed desired state, one seq past the control plane's, assigning `manifest` to iris. */
async function sendDesired(setup: Setup, manifest: SignedDocument, signers: RootKeys['director']) {
  const agent = setup.fleet.agents[0]!;
  const seq = (await currentDesiredSeq(setup.fleet, agent.deviceId)) + 1;
  await publishDesired(setup.fleet, agent.deviceId, craftDesired({ deviceId: agent.deviceId, seq, manifest, signers }));
}

/** Rejected, counted, reported to the control plane, and the old model still answers exactly as before. */
async function expectRepelled(setup: Setup, code: ErrorCode, countBefore: number): Promise<void> {
  const { fleet, before } = setup;
  const agent = fleet.agents[0]!;
  await waitFor(() => (agent.stats().rejections[code] ?? 0) > countBefore, { what: `the agent to count ${code}` });
  await waitFor(
    async () => {
      const r = await fleet.api.get(`/v1/devices/${agent.deviceId}/events`);
      return JSON.stringify(r.body).includes(code);
    },
    { what: `a ${code} event at the control plane` },
  );
  // give a wrongly-accepting agent the chance to switch before we look
  await new Promise((resolve) => setTimeout(resolve, 200));
  const after = await agent.predict('iris', probe);
  expect(after.version).toBe(before.version);
  expect(after.outputs).toEqual(before.outputs);
  expect(agent.installed()).toEqual([expect.objectContaining({ line: 'iris', version: before.version })]);
}

/**
 * Rolls out a version the hostile mirror serves: the device refuses it, and the rollout ends (failed) once
 * the control plane has its install-failed event. The next rollout of the line waits for that end — until
 * then the device is in an active rollout of it and a new one is refused (409).
 */
async function rollOutRefused(setup: Setup, version: number, code: ErrorCode): Promise<void> {
  const { id } = expectStatus(
    await setup.fleet.api.post<{ id: string }>('/v1/rollouts', { line: 'iris', version, group: 'lab' }),
    201,
    `rollout of v${version}`,
  );
  await expectRepelled(setup, code, 0);
  await waitForRolloutEnd(setup.fleet.api, id);
}

/** The next honest update (iris v3 through the control plane) installs and answers. */
async function expectAcceptsNextUpdate(setup: Setup): Promise<void> {
  const v3 = await register(setup.fleet, 2);
  await rolloutAndWait(setup.fleet, { line: 'iris', version: v3.version });
  const after = await setup.fleet.agents[0]!.predict('iris', probe);
  expect(after.version).toBe(v3.version);
  expect(after.outputs).not.toEqual(setup.before.outputs);
}

describe('TUF-style attacks on the agent', () => {
  let setup: Setup | undefined;
  afterEach(async () => {
    await setup?.cleanup();
    setup = undefined;
  });

  it('arbitrary content: a mirror serving random bytes of the right length is refused chunk by chunk', async () => {
    setup = await fleetOnV1();
    const v2 = await register(setup.fleet, 1);
    setup.mirror.attack(v2.digest, 'arbitrary-content');
    await rollOutRefused(setup, v2.version, 'CHUNK_HASH_MISMATCH');
    expect(setup.mirror.tampered).toBeGreaterThan(0);
    setup.mirror.attack(v2.digest, 'honest');
    await expectAcceptsNextUpdate(setup);
  });

  it('endless data: chunks longer than the manifest declares never reach the disk', async () => {
    setup = await fleetOnV1();
    const v2 = await register(setup.fleet, 1);
    setup.mirror.attack(v2.digest, 'endless-data');
    await rollOutRefused(setup, v2.version, 'CHUNK_HASH_MISMATCH');
    const { body: manifest } = await fetchManifest(setup.fleet, 'iris', v2.version);
    const part = join(setup.fleet.dir, 'agent-0', 'downloads', `${v2.digest}.part`);
    const partBytes = await stat(part).then(
      (s) => s.size,
      () => 0,
    );
    expect(partBytes).toBeLessThanOrEqual(manifest.sizeBytes);
    setup.mirror.attack(v2.digest, 'honest');
    await expectAcceptsNextUpdate(setup);
  });

  it('rollback: a replayed older desired state (validly signed back then) is refused', async () => {
    setup = await fleetOnV1();
    const v2 = await register(setup.fleet, 1);
    await rolloutAndWait(setup.fleet, { line: 'iris', version: v2.version });
    const onV2 = await setup.fleet.agents[0]!.predict('iris', probe);
    // The document that installed v1 (same seq, same manifest, valid director signature), as an attacker
    // who recorded it off the wire would replay it.
    const { doc: v1Manifest } = await fetchManifest(setup.fleet, 'iris', 1);
    const { deviceId } = setup.fleet.agents[0]!;
    const old = craftDesired({ deviceId, seq: setup.v1Seq, manifest: v1Manifest, signers: setup.keys.director });
    await publishDesired(setup.fleet, deviceId, old);
    setup = { ...setup, before: onV2 };
    await expectRepelled(setup, 'DOCUMENT_REPLAYED', 0);
    await expectAcceptsNextUpdate(setup);
  });

  it('freeze: a manifest past its expiry is refused even with valid signatures', async () => {
    setup = await fleetOnV1();
    await register(setup.fleet, 1);
    const { body } = await fetchManifest(setup.fleet, 'iris', 2);
    const expired = signDocument({ ...body, expiresAt: Date.now() - 1000 }, setup.keys.targets);
    await sendDesired(setup, expired, setup.keys.director);
    await expectRepelled(setup, 'DOCUMENT_EXPIRED', 0);
    await expectAcceptsNextUpdate(setup);
  });

  it('mix-and-match: a valid manifest of another model line slotted under iris is refused', async () => {
    setup = await fleetOnV1();
    await register(setup.fleet, 1, 'other');
    const { doc: otherManifest } = await fetchManifest(setup.fleet, 'other', 1);
    await sendDesired(setup, otherManifest, setup.keys.director);
    await expectRepelled(setup, 'SCHEMA_INVALID', 0);
    await expectAcceptsNextUpdate(setup);
  });

  it('key compromise: one stolen key of a 2-of-2 targets or director role signs nothing the agent accepts', async () => {
    const keys: RootKeys = {
      root: [generateSigningKey()],
      targets: [generateSigningKey(), generateSigningKey()],
      director: [generateSigningKey(), generateSigningKey()],
    };
    setup = await fleetOnV1({ keys, thresholds: { targets: 2, director: 2 } });
    await register(setup.fleet, 1);
    const { body } = await fetchManifest(setup.fleet, 'iris', 2);
    const stolenTargets = [keys.targets[0]!];
    const stolenDirector = [keys.director[0]!];
    // A manifest with one targets signature, wrapped by the full director threshold.
    await sendDesired(setup, signDocument({ ...body, version: 50 }, stolenTargets), keys.director);
    await expectRepelled(setup, 'THRESHOLD_NOT_MET', 0);
    // A fully signed manifest, wrapped by one director key.
    await sendDesired(setup, signDocument({ ...body, version: 51 }, keys.targets), stolenDirector);
    await expectRepelled(setup, 'THRESHOLD_NOT_MET', 1);
    await expectAcceptsNextUpdate(setup);
  });
});
