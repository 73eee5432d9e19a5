/**
 * Key rotation with real agents: one agent stays online through two rotations (targets + director, then
 * all three roles), another is offline through both and catches up from the one retained desired message it
 * receives when it comes back. Installed models keep loading after a restart (their manifests are re-signed
 * and rewritten on the device), new versions install under the new keys, and documents signed with the
 * retired keys (the stolen-key case) are refused, counted and reported.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Agent, createAgent } from '@edgefleet/agent';
import { decodeCbor, signDocument, signedDocumentSchema } from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';
import { craftDesired, currentDesiredSeq, fetchManifest, fleetKeys, publishDesired } from './attack-kit.js';

const models = [1, 2].map((seed) => buildIrisModels({ seed }));
const probe = models[0]!.meta.testSet.features.slice(0, 3);

async function followedRoots(stateDir: string): Promise<number> {
  const credentials = JSON.parse(await readFile(join(stateDir, 'credentials.json'), 'utf8')) as {
    rootChain?: string[];
  };
  return credentials.rootChain?.length ?? 0;
}

/** The key id that signed the manifest stored in the line's current slot on the device. */
async function installedManifestKey(stateDir: string, line: string): Promise<string | undefined> {
  const lineDir = join(stateDir, 'slots', line);
  const pointer = JSON.parse(await readFile(join(lineDir, 'current.json'), 'utf8')) as { dir: string };
  const doc = decodeCbor(
    new Uint8Array(await readFile(join(lineDir, pointer.dir, 'manifest.cbor'))),
    signedDocumentSchema,
  );
  return doc.sigs[0]?.keyId;
}

describe('key rotation', () => {
  let fleet: Fleet | undefined;
  const extra: Agent[] = [];
  afterEach(async () => {
    await Promise.allSettled(extra.splice(0).map((a) => a.close()));
    await fleet?.close();
    fleet = undefined;
  });

  it('an agent offline through two rotations catches up, and the retired keys sign nothing agents accept', async () => {
    const keys = fleetKeys();
    fleet = await startFleet({ controlPlane: { keys } });
    const pinned = fleet.cp.rootPublicKeysHex; // what both devices were provisioned with
    const online = await fleet.addAgent();
    const away = await fleet.addAgent();
    const awayDir = join(fleet.dir, 'agent-1');
    await registerModel(fleet.api, {
      line: 'iris',
      model: models[0]!.fp32,
      sampleInputs: models[0]!.meta.sampleInputs,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: 1 });
    await away.close();
    fleet.agents.splice(fleet.agents.indexOf(away), 1);

    const first = await fleet.api.post('/v1/trust/rotate', { roles: ['targets', 'director'] });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ version: 2, rotated: ['targets', 'director'] });
    await waitFor(async () => (await followedRoots(join(fleet!.dir, 'agent-0'))) === 1, {
      what: 'the online agent to follow root v2',
    });
    const second = await fleet.api.post('/v1/trust/rotate', { roles: ['root', 'targets', 'director'] });
    expect(second.body).toMatchObject({ version: 3, reissuedDesired: 2 });
    await waitFor(async () => (await followedRoots(join(fleet!.dir, 'agent-0'))) === 2, {
      what: 'the online agent to follow root v3',
    });
    expect((await online.predict('iris', probe)).version).toBe(1);

    // Back after both rotations, still pinned to the root keys it was provisioned with.
    expect(await followedRoots(awayDir)).toBe(0);
    const back = await createAgent(fleet.agentOptions(awayDir, { rootPublicKeys: pinned }));
    extra.push(back);
    await waitFor(async () => (await followedRoots(awayDir)) === 2, { what: 'the returning agent to follow v2, v3' });
    expect((await back.predict('iris', probe)).version).toBe(1);
    // Its installed manifest was re-signed: a restart verifies it under root v3 and serves at once.
    const targetsKey = ((await fleet.api.get('/v1/trust')).body.roles.targets.keyIds as string[])[0];
    await waitFor(async () => (await installedManifestKey(awayDir, 'iris')) === targetsKey, {
      what: 'the installed manifest to be rewritten with the new signature',
    });
    await back.close();
    extra.splice(extra.indexOf(back), 1);
    const restarted = await createAgent(fleet.agentOptions(awayDir, { rootPublicKeys: pinned }));
    fleet.agents.push(restarted);
    expect(restarted.installed()).toEqual([expect.objectContaining({ line: 'iris', version: 1 })]);

    // A new version installs on both under the new keys.
    await registerModel(fleet.api, {
      line: 'iris',
      model: models[1]!.fp32,
      sampleInputs: models[1]!.meta.sampleInputs,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: 2 });
    for (const agent of fleet.agents) expect((await agent.predict('iris', probe)).version).toBe(2);

    // Stolen keys: the retired targets and director keys sign a "v50" and send it to the online agent.
    const { body } = await fetchManifest(fleet, 'iris', 2);
    const before = online.stats().rejections.KEY_UNKNOWN ?? 0;
    const seq = (await currentDesiredSeq(fleet, online.deviceId)) + 1;
    const forged = signDocument({ ...body, version: 50 }, keys.targets);
    await publishDesired(
      fleet,
      online.deviceId,
      craftDesired({ deviceId: online.deviceId, seq, manifest: forged, signers: keys.director }),
    );
    await waitFor(() => (online.stats().rejections.KEY_UNKNOWN ?? 0) > before, { what: 'KEY_UNKNOWN counted' });
    await waitFor(
      async () =>
        JSON.stringify((await fleet!.api.get(`/v1/devices/${online.deviceId}/events`)).body).includes('KEY_UNKNOWN'),
      { what: 'the refusal reported to the control plane' },
    );
    expect((await online.predict('iris', probe)).version).toBe(2);
  });
});
