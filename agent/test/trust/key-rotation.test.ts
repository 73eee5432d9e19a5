/**
 * Key rotation end to end on a real agent (MQTT session on a mini broker, real onnxruntime, real slots):
 * the device follows the roots a desired message carries, refuses retired keys (counted in its stats),
 * keeps its installed model verifiable across a restart, and shares the rotation with its child devices.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCbor, encodeCbor, type RootKeys, reportedMessageSchema, resignDocument } from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { startChildAgent } from '../helpers/child-agent.js';
import { persistedChainVersions } from '../helpers/credentials.js';
import { makeDesiredMessage, makeKeys, makeNextRoot } from '../helpers/signed-docs.js';
import { DEVICE_ID, HARNESS_KEYS, type Harness, startHarness, waitFor } from '../shadow/shadow-harness.js';

const iris = buildIrisModels({ seed: 1 });
/** v2 rotates the targets and director keys; the root key stays. */
const keys2: RootKeys = { ...makeKeys(7), root: HARNESS_KEYS.root };
const root2 = makeNextRoot(keys2, { version: 2, previous: HARNESS_KEYS });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(): Promise<Harness> {
  const h = await startHarness();
  cleanups.push(() => h.cleanup());
  return h;
}

describe('key rotation on a running agent', () => {
  it('follows the rotation, refuses the retired director key and still boots its model after a restart', async () => {
    const h = await harness();
    const v1 = await h.model(1, iris.fp32);
    h.desired(1, [{ manifest: v1 }]);
    await waitFor(() => h.agent.installed().length === 1, 'v1 installed');

    // The control plane after the rotation: same manifest re-signed, desired seq+1 by the new director.
    const manifest = resignDocument(v1.doc, keys2.targets);
    const assignments = [{ line: 'iris', manifest }];
    h.publishDesired(makeDesiredMessage(keys2, { deviceId: DEVICE_ID, seq: 2, assignments, roots: [root2] }));
    await waitFor(() => h.reported.at(-1)?.desiredSeq === 2, 'seq 2 applied');
    await h.agent.whenIdle();
    const slotDir = `v1-${v1.body.digest.slice(0, 12)}`;
    const stored = await readFile(join(h.stateDir, 'slots', 'iris', slotDir, 'manifest.cbor'));
    expect(stored).toEqual(Buffer.from(encodeCbor(manifest)));
    expect(await persistedChainVersions(h.stateDir)).toEqual([2]);

    h.publishDesired(makeDesiredMessage(HARNESS_KEYS, { deviceId: DEVICE_ID, seq: 3, assignments, roots: [root2] }));
    await waitFor(() => h.agent.stats().rejections.KEY_UNKNOWN === 1, 'the retired director key refused');

    // Offline start: credentials give root v2, the boot loader verifies the re-signed manifest under it.
    await h.restart({ mqttUrl: 'mqtt://127.0.0.1:1' });
    expect(h.agent.installed()).toEqual([{ line: 'iris', version: 1, digest: v1.body.digest }]);
  });

  it('shares one root of trust between a gateway and its child devices', async () => {
    const h = await harness();
    const started = await startChildAgent({
      gateway: h.agent,
      clock: h.clock,
      childName: 'mcu-1',
      hardware: { platform: 'mcu', arch: 'cortex-m4', cpus: 1, memoryBytes: 16_384 },
      version: 'fw-1',
    });
    cleanups.push(() => started.close());
    const child = started.agent;
    await waitFor(() => child.connectionState === 'online', 'the child online');
    const childId = `${DEVICE_ID}--mcu-1`;
    h.publishDesired(
      makeDesiredMessage(keys2, { deviceId: childId, seq: 1, assignments: [], roots: [root2] }),
      childId,
    );
    const childReported = () =>
      h.published
        .filter((m) => m.topic === `ef/v1/${DEVICE_ID}/bridge/mcu-1/reported`)
        .map((m) => decodeCbor(m.payload, reportedMessageSchema));
    await waitFor(() => childReported().at(-1)?.desiredSeq === 1, 'the child to apply seq 1');
    // Persisted in the gateway's credentials: the child has none of its own.
    expect(await persistedChainVersions(h.stateDir)).toEqual([2]);

    // The gateway's own document, by the new director and without roots: trusted through the child's follow.
    h.publishDesired(makeDesiredMessage(keys2, { deviceId: DEVICE_ID, seq: 1, assignments: [] }));
    await waitFor(() => h.reported.at(-1)?.desiredSeq === 1, 'the gateway to apply seq 1');
    expect(h.agent.stats().rejections).toEqual({});
    expect(child.stats().rejections).toEqual({});
  });
});
