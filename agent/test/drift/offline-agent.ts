/**
 * An enrolled agent with the real iris ONNX model installed and no broker reachable (offline), on a manual
 * Clock: the state directory is laid out the way enrolment and an install leave it (credentials.json with
 * the signed root, a verified slot with the signed manifest), so `createAgent` boots straight into serving.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceProfile, encodeCbor, type ReferenceProfile, signDocument } from '@edgefleet/protocol';
import { irisDataset } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import { type Agent, type AgentOptions, createAgent } from '../../src/index.js';
import { createSlotStore } from '../../src/install/slot-store.js';
import { createOutbox, type OutboxEntry } from '../../src/telemetry/outbox.js';
import { onnxBundle } from '../helpers/bundles.js';
import { type ManualClock, manualClock } from '../helpers/manual-clock.js';
import { makeKeys, makeManifest, makeRoot } from '../helpers/signed-docs.js';
import { irisModels, rawSession } from '../runtime/fixtures.js';

/** Profile of the 150 iris rows and the model's own outputs for them: what registration would compute. */
export async function irisProfile(modelPath: string): Promise<ReferenceProfile> {
  const rows = irisDataset().features;
  const session = await rawSession(modelPath);
  try {
    const out = await session.run({ data: Float32Array.from(rows.flat()), shape: [rows.length, 4] });
    const outputs = rows.map((_, r) => Array.from(out.data.subarray(r * 3, r * 3 + 3)));
    return buildReferenceProfile({ rows, outputs });
  } finally {
    await session.release();
  }
}

export interface OfflineAgent {
  readonly agent: Agent;
  readonly clock: ManualClock;
  readonly profile: ReferenceProfile | undefined;
  /** Closes the agent and returns what it left in its outbox. */
  closeAndReadOutbox(): Promise<{ events: OutboxEntry[]; telemetry: OutboxEntry[] }>;
  cleanup(): Promise<void>;
}

export async function startOfflineAgent(
  options: { withProfile?: boolean; tuning?: Pick<AgentOptions, 'drift' | 'httpApi'> } = {},
): Promise<OfflineAgent> {
  const stateDir = await mkdtemp(join(tmpdir(), 'edgefleet-drift-'));
  const keys = makeKeys();
  const root = makeRoot(keys);
  const model = irisModels().fp32;
  const modelPath = join(stateDir, 'model.onnx');
  await writeFile(modelPath, model);
  const profile = options.withProfile === false ? undefined : await irisProfile(modelPath);
  // The self-test set is what onnxruntime computes for this model, as registration computes it.
  const bundle = await onnxBundle(model);
  const bundlePath = join(stateDir, 'bundle.bin');
  await writeFile(bundlePath, bundle.bytes);
  const { body } = makeManifest(keys, { version: 1, bundle });
  const manifest = { ...body, ...(profile === undefined ? {} : { profile }) };
  const slots = createSlotStore({ root: join(stateDir, 'slots') });
  const slot = await slots.writeSlot({
    line: 'iris',
    version: 1,
    digest: manifest.digest,
    bundlePath,
    manifestCbor: encodeCbor(signDocument(manifest, keys.targets)),
  });
  await slots.switchTo('iris', slot);
  const deviceId = 'dev-0000000000d1';
  const credentials = {
    deviceId,
    mqtt: { url: 'mqtt://127.0.0.1:1', username: deviceId, password: 'x' },
    root: Buffer.from(encodeCbor(root.doc)).toString('base64'),
  };
  await writeFile(join(stateDir, 'credentials.json'), JSON.stringify(credentials));

  const clock = manualClock();
  const agent = await createAgent({
    stateDir,
    rootPublicKeys: root.pinnedHex,
    clock,
    logger: pino({ level: 'silent' }),
    ...options.tuning,
  });
  let closed = false;
  return {
    agent,
    clock,
    profile,
    async closeAndReadOutbox() {
      await agent.close();
      closed = true;
      const outbox = createOutbox({
        path: join(stateDir, 'outbox.sqlite'),
        maxRows: 100_000,
        maxBytes: 64 * 1024 * 1024,
      });
      try {
        return { events: outbox.peek('events', 10_000), telemetry: outbox.peek('telemetry', 10_000) };
      } finally {
        outbox.close();
      }
    },
    async cleanup() {
      if (!closed) await agent.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
